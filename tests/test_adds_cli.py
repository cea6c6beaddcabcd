"""``hospital-or adds sequence|compare|generate``: output contract and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hospital_or.adds import Instance
from hospital_or.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "instances" / "adds" / "adds-8-s2.json"
CONTRACT = {"layout", "method", "sorting_mean_s", "apt_mean_s", "apt_ci95_s", "n_instances"}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("method", ["ip", "dp", "greedy", "random", "fcfs"])
@pytest.mark.parametrize("layout", ["1io", "2io"])
def test_sequence_json(capsys, method, layout):
    code, out, _ = run(capsys, "adds", "sequence", str(EXAMPLE), "--method", method, "--layout", layout,
                       "--format", "json", "--n-eval", "50", "--n-plan", "2")
    assert code == 0
    rep = json.loads(out)  # stdout is pure JSON (no solver banner)
    inst = Instance.load(EXAMPLE)
    assert rep["layout"] == layout and rep["method"] == method
    assert [sorted(o) for o in rep["sequence"]] == [sorted(o) for o in inst.orders]
    assert sorted(rep["line_sequence"]) == list(range(inst.n_lines))
    assert rep["apt_mean_s"] > 0 and rep["apt_ci95_s"] >= 0


def test_sequence_text_and_errors(capsys, tmp_path):
    code, out, _ = run(capsys, "adds", "sequence", str(EXAMPLE), "--method", "dp", "--layout", "2io")
    assert code == 0 and "average picking time" in out
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    code, _, err = run(capsys, "adds", "sequence", str(bad))
    assert code == 1 and "error" in err
    code, _, _ = run(capsys, "adds", "sequence", str(EXAMPLE), "--method", "nope")
    assert code == 2


def test_compare_json_contract(capsys, tmp_path):
    code, out, _ = run(capsys, "adds", "compare", "--instances", "2", "--orders", "4", "--sorting-mean", "4",
                       "--sorting-mean", "12,25", "--n-eval", "10", "--n-plan", "2", "--methods", "ip,dp,random",
                       "--format", "json", "--out", str(tmp_path / "cmp"))
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 2 * 3 * 3
    for r in rows:
        assert set(r) >= CONTRACT
        assert r["n_instances"] == 2
        assert r["apt_mean_s"] > 0
    assert {r["sorting_mean_s"] for r in rows} == {4.0, 12.0, 25.0}
    assert all(r["diff_vs_ip_mean_s"] == 0.0 for r in rows if r["method"] == "ip")
    for name in ("summary.csv", "raw.csv", "summary.json", "apt.png"):
        assert (tmp_path / "cmp" / name).is_file()


def test_generate(capsys, tmp_path):
    out_file = tmp_path / "g.json"
    code, _, _ = run(capsys, "adds", "generate", str(out_file), "--seed", "2", "--orders", "8")
    assert code == 0
    assert Instance.load(out_file) == Instance.load(EXAMPLE)  # the committed example regenerates exactly
