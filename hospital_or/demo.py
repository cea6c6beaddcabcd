"""The main job of ``make demo``: solve the embedded default hospital instance and write every output.

The default instance is ``instances/hospital_small.json`` (made by :mod:`hospital_or.generators`; see
``instances/README.md``): a stochastic, multi-trip hospital day with charging, an elevator and priorities. The demo
solves it with the VNS, re-checks the plan with the independent checker (analytic on-time probabilities and a seeded
Monte Carlo estimate), and writes the solution files, the schedule, statistics and plots into one folder.
"""

from __future__ import annotations

import json
from pathlib import Path

from hospital_or.paths import PACKAGE_INSTANCES

#: The embedded default instance.
DEFAULT_INSTANCE = PACKAGE_INSTANCES / "hospital_small.json"


def run_demo(
    out: str | Path = "demo_output",
    instance: str | Path = DEFAULT_INSTANCE,
    *,
    seed: int = 0,
    time_limit: float = 20.0,
    monte_carlo: int = 2000,
) -> dict:
    """Solve ``instance`` with the VNS and write the results into ``out``.

    Parameters
    ----------
    out
        Output folder (created if needed). It receives ``solution.sol``, ``solution.json``, ``schedule.csv``,
        ``stats.csv``, ``summary.json`` and ``routes.png``, ``gantt.png``, ``soc.png``.
    instance
        Instance file; the embedded default hospital instance when omitted.
    seed
        Seed of the solver and of the Monte Carlo check.
    time_limit
        Solver time limit in seconds.
    monte_carlo
        Monte Carlo samples for the on-time estimate of stochastic instances.

    Returns
    -------
    dict
        The summary that is also written to ``summary.json`` (``feasible``, ``vehicles``, ``trips``, ``distance``,
        ``cost``, on-time rates, ``files``).
    """
    from hospital_or.checker import check
    from hospital_or.cli.solve import solve_instance, summary_dict, write_outputs

    out = Path(out)
    problem, result, report = solve_instance(instance, seed=seed, time_limit=time_limit)
    summary = summary_dict(result, report)
    summary["instance"] = str(instance)
    summary["requests"] = problem.n_requests
    if report is None or not report.feasible:
        summary["files"] = []
        return summary
    if problem.is_stochastic and monte_carlo > 0:
        report = check(problem, result.best, monte_carlo=monte_carlo, seed=seed)
        details = report.to_dict()
        for key in ("on_time_analytic_min", "on_time_analytic_mean", "on_time_monte_carlo_min",
                    "on_time_monte_carlo_mean", "monte_carlo_samples"):
            if key in details:
                summary[key] = details[key]
    files = write_outputs(out, problem, result, report)
    schedule = out / "schedule.csv"
    report.schedule_frame().to_csv(schedule, index=False)
    files.append(schedule)
    summary["files"] = sorted(p.name for p in [*files, out / "summary.json"])
    tmp = out / "summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    tmp.replace(out / "summary.json")
    return summary
