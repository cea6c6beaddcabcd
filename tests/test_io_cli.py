"""``hospital-or instances show`` and ``hospital-or instances convert``."""

from __future__ import annotations

import json
from pathlib import Path

from hospital_or.cli import main
from hospital_or.io import instance_summary, read_instance, read_solution, write_solution
from hospital_or.solution import Solution

DATA = Path(__file__).parent / "data"


def test_show_text(capsys):
    assert main(["instances", "show", str(DATA / "tiny_hospital.json")]) == 0
    out = capsys.readouterr().out
    assert "tiny-hospital" in out and "1: 2  2: 1  3: 1" in out and "50.0% revealed" in out
    assert "cv travel 0.2, cv service 0.3, beta 0.9, elevator wait <= 3" in out


def test_show_json_summary(capsys):
    assert main(["instances", "show", str(DATA / "tiny_evrptw.txt"), "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary == json.loads(json.dumps(instance_summary(read_instance(DATA / "tiny_evrptw.txt"))))
    assert (summary["requests"], summary["stations"], summary["capacity"]) == (4, 3, 50.0)
    assert summary["battery"]["capacity"] == 45.0 and summary["horizon"] == [0.0, 500.0]
    assert summary["dynamism"] == 0.0 and summary["stochastic"]["is_stochastic"] is False


def test_dynamism_share():
    s = instance_summary(read_instance(DATA / "tiny_dynamic.txt"))
    assert s["dynamic_requests"] == 3 and s["dynamism"] == 0.6
    assert abs(s["effective_dynamism"] - (60 + 30 + 150) / (5 * 500)) < 1e-12


def test_convert_round_trip(tmp_path):
    src = DATA / "tiny_dynamic.txt"
    assert main(["instances", "convert", str(src), str(tmp_path / "a.json")]) == 0
    assert main(["instances", "convert", str(tmp_path / "a.json"), str(tmp_path / "b.txt")]) == 0
    p = read_instance(src)
    assert read_instance(tmp_path / "a.json") == p
    assert read_instance(tmp_path / "b.txt") == p.replace(source=str(tmp_path / "b.txt"))


def test_convert_refuses_lossy_without_flag(tmp_path, capsys):
    out = tmp_path / "h.txt"
    assert main(["instances", "convert", str(DATA / "tiny_hospital.json"), str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot hold" in err and not out.exists()
    assert main(["instances", "convert", "--lossy", str(DATA / "tiny_hospital.json"), str(out)]) == 0
    assert read_instance(out).n_requests == 4


def test_missing_file_and_usage(tmp_path, capsys):
    assert main(["instances", "show", str(tmp_path / "nope.txt")]) == 1
    assert "cannot read file" in capsys.readouterr().err
    assert main(["instances", "show"]) == 2


def test_json_solution_dispatch(tmp_path):
    p = read_instance(DATA / "tiny_solomon.txt")
    s = Solution.from_routes([["1", "5", "4"], ["3", "2"]])
    write_solution(tmp_path / "s.json", p, s)
    assert read_solution(tmp_path / "s.json", p) == s


def test_convert_to_evrptw(tmp_path):
    out = tmp_path / "e.txt"
    assert main(["instances", "convert", "--to", "evrptw", str(DATA / "tiny_evrptw.txt"), str(out)]) == 0
    original = (DATA / "tiny_evrptw.txt").read_text()
    assert out.read_text() == "\n".join(line.rstrip() for line in original.split("\n"))  # same layout
