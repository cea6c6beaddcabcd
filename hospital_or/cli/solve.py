"""``hospital-or solve INSTANCE``: solve a routing instance (Solomon, E-VRPTW or JSON) with the VNS.

A thin shell over :func:`solve_instance` (library). The solution is re-checked with the independent checker before
anything is written. ``--out DIR`` receives ``solution.sol`` (VRPLIB routes, one per trip), ``solution.json``
(AMRs, trips, schedule), ``stats.csv`` (per-iteration statistics) and ``routes.png``, ``gantt.png``, ``soc.png``.
Exit codes: 0 feasible solution, 3 no feasible solution, 1 input error, 2 usage error.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from hospital_or.problem import Problem
from hospital_or.report import Report
from hospital_or.result import Result

logger = logging.getLogger("hospital_or.cli.solve")


def solve_instance(
    instance: str | Path,
    *,
    seed: int = 0,
    time_limit: float | None = 10.0,
    max_iterations: int | None = None,
    no_improvement: int | None = None,
    config: str | Path | None = None,
    algo: str = "vns",
) -> tuple[Problem, Result, Report | None]:
    """Read an instance, solve it and check the best solution independently.

    Parameters
    ----------
    instance
        Instance file (format recognised by :func:`hospital_or.io.read_instance`).
    seed
        Seed of the run.
    time_limit, max_iterations, no_improvement
        Stopping criteria (any combination; at least one must be given).
    config
        TOML file with VNS parameters.
    algo
        Algorithm name (``"vns"`` or ``"tabu"``).

    Returns
    -------
    tuple
        ``(problem, result, report)``; ``report`` is the checker's verdict on the best solution, ``None`` when
        no feasible solution was found.

    Raises
    ------
    ValueError
        No stopping criterion, or bad parameters.
    """
    from hospital_or.checker import check
    from hospital_or.io import read_instance
    from hospital_or.params import load_params
    from hospital_or.solve import solve
    from solvers.stop import MaxIterations, MaxRuntime, MultipleCriteria, NoImprovement

    criteria = []
    if time_limit is not None:
        criteria.append(MaxRuntime(time_limit))
    if max_iterations is not None:
        criteria.append(MaxIterations(max_iterations))
    if no_improvement is not None:
        criteria.append(NoImprovement(no_improvement))
    if not criteria:
        raise ValueError("give at least one stopping criterion (time limit, max iterations or no improvement)")
    params = load_params(config, algo)
    problem = read_instance(instance)
    result = solve(problem, MultipleCriteria(criteria), seed, params, algo=algo)
    report = check(problem, result.best) if result.best is not None else None
    return problem, result, report


def write_outputs(out: str | Path, problem: Problem, result: Result, report: Report) -> list[Path]:
    """Write the solution files, statistics and plots of a checked result into ``out`` (created if needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hospital_or.io import write_vrplib_solution
    from hospital_or.plotting import plot_gantt, plot_routes, plot_soc
    from hospital_or.solution_io import write_solution_json

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    assert result.best is not None
    written = []
    path = out / "solution.sol"
    write_vrplib_solution(path, problem, result.best, cost=report.cost)
    written.append(path)
    provenance = {"algorithm": result.algorithm, "seed": result.seed, "params": result.params,
                  "iterations": result.num_iterations, "runtime_s": result.runtime}
    written.append(write_solution_json(out / "solution.json", problem, result.best, report, provenance))
    path = out / "stats.csv"
    result.stats.to_csv(path)
    written.append(path)
    for name, draw in (("routes.png", lambda ax: plot_routes(problem, result.best, ax=ax)),
                       ("gantt.png", lambda ax: plot_gantt(problem, report, ax=ax)),
                       ("soc.png", lambda ax: plot_soc(problem, report, ax=ax))):
        fig, ax = plt.subplots(figsize=(9, 6))
        try:
            draw(ax)
            fig.savefig(out / name, dpi=110, bbox_inches="tight")
        finally:
            plt.close(fig)
        written.append(out / name)
    return written


def summary_dict(result: Result, report: Report | None) -> dict:
    """The ``--format json`` object."""
    feasible = report is not None and report.feasible
    out = {
        "feasible": bool(feasible),
        "vehicles": int(report.vehicles) if report else 0,
        "trips": int(report.trips) if report else 0,
        "distance": float(report.distance) if report else None,
        "cost": float(report.cost) if report else None,
        "runtime_s": float(result.runtime),
        "iterations": int(result.num_iterations),
        "seed": int(result.seed),
        "algorithm": result.algorithm,
        "moves": int(result.moves),
        "version": result.version,
    }
    if report is not None and report.violations:
        out["violations"] = [v.kind for v in report.violations]
    return out


def register(cli: click.Group) -> None:
    """Add the ``solve`` command."""

    @cli.command("solve")
    @click.argument("instance", type=click.Path(exists=True, dir_okay=False))
    @click.option("--algo", type=click.Choice(["vns", "tabu"]), default="vns", show_default=True, help="Algorithm.")
    @click.option("--time-limit", type=click.FloatRange(min=0), default=None,
                  help="Stop after this many seconds (default 10 when no other criterion is given).")
    @click.option("--max-iterations", type=click.IntRange(min=0), default=None, help="Stop after K iterations.")
    @click.option("--no-improvement", type=click.IntRange(min=1), default=None,
                  help="Stop after K iterations without a new best.")
    @click.option("--seed", type=int, required=True, help="Seed for reproducible results.")
    @click.option("--config", type=click.Path(exists=True, dir_okay=False), default=None,
                  help="TOML file with VNS parameters.")
    @click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
                  help="Folder for solution.sol, solution.json, stats.csv and plots.")
    @click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
    def solve_cmd(instance, algo, time_limit, max_iterations, no_improvement, seed, config, out_dir, fmt):
        """Solve INSTANCE (Solomon: plain VRPTW with the hierarchical objective; E-VRPTW; JSON)."""
        from hospital_or.cli import EXIT_INFEASIBLE, exit_with

        if time_limit is None and max_iterations is None and no_improvement is None:
            time_limit = 10.0
        problem, result, report = solve_instance(
            instance, seed=seed, time_limit=time_limit, max_iterations=max_iterations,
            no_improvement=no_improvement, config=config, algo=algo,
        )
        feasible = report is not None and report.feasible
        if feasible and out_dir is not None:
            write_outputs(out_dir, problem, result, report)
        elif out_dir is not None:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
            result.stats.to_csv(Path(out_dir) / "stats.csv")
        if fmt == "json":
            click.echo(json.dumps(summary_dict(result, report), allow_nan=False))
        else:
            if report is not None and not report.feasible:
                kinds = sorted({v.kind for v in report.violations})
                click.echo(f"checker rejects the solution: {', '.join(kinds)}", err=True)
            click.echo(f"instance   {problem.name}")
            click.echo(f"feasible   {'yes' if feasible else 'NO'}")
            if report is not None:
                click.echo(f"AMRs       {report.vehicles}")
                click.echo(f"trips      {report.trips}")
                click.echo(f"distance   {report.distance:.2f}")
                click.echo(f"cost       {report.cost:.2f}")
            click.echo(f"iterations {result.num_iterations}")
            click.echo(f"runtime    {result.runtime:.2f} s")
            click.echo(f"seed       {result.seed}")
            if out_dir is not None and feasible:
                click.echo(f"written to {out_dir}")
        if not feasible:
            exit_with(EXIT_INFEASIBLE)


__all__ = ["register", "solve_instance", "summary_dict", "write_outputs"]
