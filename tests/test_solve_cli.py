"""``hospital-or solve``: outputs, JSON summary, exit codes."""

from __future__ import annotations

import json

import pytest

from hospital_or import Depot, Fleet, Problem, Request
from hospital_or.checker import check
from hospital_or.cli import main
from hospital_or.io import read_instance, read_solution, write_instance
from hospital_or.result import Statistics
from hospital_or.solution_io import read_solution_json


def _run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.needs_shared
def test_solve_solomon_json_and_outputs(shared_dir, tmp_path, capsys):
    """Why: the documented end-to-end use - solve a Solomon file, print one JSON object, write every output."""
    instance = shared_dir / "solomon" / "C101.txt"
    out = tmp_path / "run"
    code, stdout, _ = _run(capsys, "solve", instance, "--algo", "vns", "--seed", 1, "--max-iterations", 15,
                           "--time-limit", 20, "--out", out, "--format", "json")
    assert code == 0
    summary = json.loads(stdout)
    for key in ("feasible", "vehicles", "trips", "distance", "cost", "runtime_s", "iterations", "seed"):
        assert key in summary
    assert summary["feasible"] is True and summary["seed"] == 1
    assert summary["vehicles"] == summary["trips"]
    problem = read_instance(instance)
    for name in ("solution.sol", "solution.json", "stats.csv", "routes.png", "gantt.png", "soc.png"):
        assert (out / name).stat().st_size > 0, name
    sol = read_solution(out / "solution.sol", problem)
    report = check(problem, sol)
    assert report.feasible
    assert report.distance == pytest.approx(summary["distance"], abs=1e-6)
    assert check(problem, read_solution_json(out / "solution.json", problem)).feasible
    assert len(Statistics.from_csv(out / "stats.csv")) == summary["iterations"]


def test_solve_table_output_and_config(tmp_path, capsys):
    """Why: the human-readable mode and a TOML config work on a JSON instance written by the package."""
    problem = Problem("tiny", Depot("d", 0, 0, 0, 500), [
        Request("a", 10, 0, 1, 0, 200, 5), Request("b", 0, 10, 1, 0, 200, 5), Request("c", -10, 0, 1, 0, 200, 5),
    ], Fleet(capacity=10, max_vehicles=2, fixed_cost=100))
    path = tmp_path / "tiny.json"
    write_instance(problem, path)
    cfg = tmp_path / "vns.toml"
    cfg.write_text('[vns]\nacceptance = "improving"\n')
    code, stdout, _ = _run(capsys, "solve", path, "--seed", 0, "--max-iterations", 5, "--config", cfg)
    assert code == 0
    assert "feasible   yes" in stdout and "AMRs       1" in stdout


def test_solve_exit_3_when_infeasible(tmp_path, capsys):
    """Why: two requests that must start at the same moment far apart cannot share the only AMR -> exit 3."""
    problem = Problem("clash", Depot("d", 0, 0, 0, 1000), [
        Request("a", 50, 0, 1, 60, 60, 10), Request("b", -50, 0, 1, 60, 60, 10),
    ], Fleet(capacity=10, max_vehicles=1, fixed_cost=100))
    path = tmp_path / "clash.json"
    write_instance(problem, path)
    code, stdout, _ = _run(capsys, "solve", path, "--seed", 0, "--max-iterations", 5, "--format", "json",
                           "--out", tmp_path / "o")
    assert code == 3
    assert json.loads(stdout)["feasible"] is False
    assert (tmp_path / "o" / "stats.csv").exists()


def test_solve_bad_config_is_error(tmp_path, capsys):
    """Why: unknown parameters are an input error (exit 1, one line), not ignored."""
    problem = Problem("tiny", Depot("d", 0, 0, 0, 500), [Request("a", 10, 0, 1, 0, 200, 5)],
                      Fleet(capacity=10, max_vehicles=2))
    path = tmp_path / "tiny.json"
    write_instance(problem, path)
    cfg = tmp_path / "bad.toml"
    cfg.write_text("nonsense = 1\n")
    code, _, err = _run(capsys, "solve", path, "--seed", 0, "--max-iterations", 2, "--config", cfg)
    assert code == 1
    assert "nonsense" in err


@pytest.mark.needs_shared
def test_solve_with_tabu_is_checked_and_written(shared_dir, tmp_path, capsys):
    """Why: ``--algo tabu`` goes through the same checked output path as the VNS (issue 5's stage-1 solver)."""
    instance = shared_dir / "solomon" / "C101.txt"
    out = tmp_path / "tabu"
    code, stdout, _ = _run(capsys, "solve", instance, "--algo", "tabu", "--seed", 2, "--max-iterations", 30,
                           "--out", out, "--format", "json")
    assert code == 0
    summary = json.loads(stdout)
    assert summary["algorithm"] == "tabu" and summary["feasible"] is True
    problem = read_instance(instance)
    report = check(problem, read_solution(out / "solution.sol", problem))
    assert report.feasible and report.distance == pytest.approx(summary["distance"], abs=1e-6)
