"""``make demo`` runs ``hospital-or demo``: it must solve the embedded instance and write every promised output."""

from __future__ import annotations

import json

from hospital_or.checker import check
from hospital_or.cli import main
from hospital_or.demo import DEFAULT_INSTANCE
from hospital_or.io import read_instance, read_solution


def test_demo_writes_checked_outputs(tmp_path, capsys):
    """The demo's plan is feasible by the independent checker, and its files (CSV, JSON, PNG) are all written."""
    out = tmp_path / "demo"
    code = main(["demo", "--out", str(out), "--time-limit", "4", "--format", "json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["feasible"] is True
    for name in ("solution.sol", "solution.json", "schedule.csv", "stats.csv", "summary.json",
                 "routes.png", "gantt.png", "soc.png"):
        assert (out / name).stat().st_size > 0, name
    assert json.loads((out / "summary.json").read_text()) == summary
    problem = read_instance(DEFAULT_INSTANCE)
    report = check(problem, read_solution(out / "solution.sol", problem))
    assert report.feasible and report.vehicles == summary["vehicles"]
    # the default instance is stochastic: the plan meets the chance constraint and Monte Carlo confirms it
    assert problem.is_stochastic and summary["on_time_analytic_min"] >= problem.stochastic.beta - 1e-9
    assert summary["on_time_monte_carlo_min"] >= problem.stochastic.beta - 0.05
