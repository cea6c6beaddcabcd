"""``hospital-or mip INSTANCE``: exact routing by MIP (PuLP CBC/HiGHS or OR-Tools SCIP).

A thin shell over :func:`hospital_or.mip.solve_mip`. The plan is re-checked by the independent checker; the MIP
objective must equal the checker's cost. ``--out DIR`` receives ``solution.sol`` (VRPLIB), ``solution.json`` and
``mip.json`` (the summary). Exit codes: 0 a feasible plan (optimal or not), 3 infeasible / no plan, 1 error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from hospital_or.cli import EXIT_INFEASIBLE, exit_with
from hospital_or.mip import FORMULATIONS, MIPResult, solve_mip
from solvers.mip.backends import BACKENDS


def run_mip(
    instance: str | Path,
    backend: str = "pulp-highs",
    time_limit: float = 60.0,
    formulation: str = "auto",
    max_chain: int = 3,
    saa_scenarios: int = 0,
    seed: int = 0,
    out: str | Path | None = None,
) -> dict[str, Any]:
    """Read an instance, solve it by MIP, check the plan and optionally write it (the command's library function).

    Returns
    -------
    dict
        :meth:`MIPResult.to_dict` plus ``checker_cost``, ``checker_feasible`` and ``instance``.

    Raises
    ------
    RuntimeError
        If the checker finds the MIP plan infeasible or its cost differs from the MIP objective (relative 1e-6).
    """
    import numpy as np

    from hospital_or.checker import check
    from hospital_or.io import read_instance, write_solution

    problem = read_instance(instance)
    rng = np.random.default_rng(seed)
    result: MIPResult = solve_mip(
        problem,
        backend=backend,
        time_limit=time_limit,
        formulation=formulation,
        max_chain=max_chain,
        saa_scenarios=saa_scenarios,
        rng=rng,
    )
    summary = result.to_dict()
    summary["instance"] = problem.name
    if result.solution is not None:
        report = check(problem, result.solution)
        summary["checker_feasible"] = bool(report.feasible)
        summary["checker_cost"] = float(report.cost)
        if not report.feasible:
            kinds = sorted({v.kind for v in report.violations})
            raise RuntimeError(f"the checker rejects the MIP plan ({', '.join(kinds)})")
        if abs(report.cost - result.objective) > 1e-6 * max(1.0, abs(report.cost)):
            raise RuntimeError(
                f"MIP objective {result.objective:.6f} differs from the checker's cost {report.cost:.6f}"
            )
        if out is not None:
            folder = Path(out)
            folder.mkdir(parents=True, exist_ok=True)
            write_solution(folder / "solution.sol", problem, result.solution, cost=report.cost)
            write_solution(folder / "solution.json", problem, result.solution)
    if out is not None:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "mip.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def register(cli: click.Group) -> None:
    """Add the ``mip`` command."""

    @cli.command("mip")
    @click.argument("instance", type=click.Path(dir_okay=False))
    @click.option("--backend", type=click.Choice(BACKENDS), default="pulp-highs", show_default=True)
    @click.option("--time-limit", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
                  help="Solver time limit in seconds.")
    @click.option("--formulation", type=click.Choice(FORMULATIONS), default="auto", show_default=True,
                  help="arc (deterministic), routes (enumerated AMR plans, exact chance constraint), auto.")
    @click.option("--max-chain", type=click.IntRange(min=1), default=3, show_default=True,
                  help="Most charging stations in a row.")
    @click.option("--saa", "saa_scenarios", type=click.IntRange(min=0), default=0, show_default=True,
                  help="Sample-average chance constraint on this many scenarios (routes formulation).")
    @click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the SAA scenarios.")
    @click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
                  help="Write solution.sol, solution.json and mip.json here.")
    @click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
                  show_default=True)
    def mip_command(instance, backend, time_limit, formulation, max_chain, saa_scenarios, seed, out_dir,
                    output_format):
        """Solve INSTANCE exactly by MIP and report status, objective, bound and gap."""
        summary = run_mip(instance, backend, time_limit, formulation, max_chain, saa_scenarios, seed, out_dir)
        if output_format == "json":
            click.echo(json.dumps(summary))
        else:
            for key in ("instance", "status", "objective", "bound", "gap", "vehicles", "distance", "runtime_s",
                        "backend", "formulation", "checker_cost"):
                value = summary.get(key)
                if isinstance(value, float):
                    value = f"{value:.6g}" if key in ("gap",) else f"{value:.4f}"
                click.echo(f"{key:>12}: {'-' if value is None else value}")
        if summary["status"] in ("infeasible", "no_solution") or (
            summary["status"] == "time_limit" and summary["objective"] is None
        ):
            exit_with(EXIT_INFEASIBLE)
