"""``hospital-or validate INSTANCE SOLUTION``: run the independent checker on a solution file.

A thin shell over :func:`hospital_or.checker.check` (library) with the readers of :mod:`hospital_or.io`.
Exit codes: 0 feasible, 3 infeasible, 1 input error (one line), 2 usage error.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import click

from hospital_or.report import Report


def validate_files(
    instance: str | Path,
    solution: str | Path,
    *,
    monte_carlo: int = 0,
    seed: int | None = None,
    respect_reveal_times: bool = False,
) -> Report:
    """Read an instance and a solution file and check the solution (the library function behind the command).

    Parameters
    ----------
    instance, solution
        Paths; the formats are recognised by :func:`hospital_or.io.read_instance` and
        :func:`hospital_or.io.read_solution`.
    monte_carlo, seed, respect_reveal_times
        Passed to :func:`hospital_or.checker.check`.

    Returns
    -------
    Report
        The checker's report.

    Raises
    ------
    InstanceFormatError
        If a file is malformed.
    """
    from hospital_or.checker import check
    from hospital_or.io import read_instance, read_solution

    problem = read_instance(instance)
    plan = read_solution(solution, problem)
    return check(problem, plan, respect_reveal_times=respect_reveal_times, monte_carlo=monte_carlo, seed=seed)


def _print_table(report: Report, instance: str, solution: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    verdict = "[bold green]feasible[/]" if report.feasible else "[bold red]INFEASIBLE[/]"
    summary = Table(title=f"{Path(solution).name} on {Path(instance).name}: {verdict}", show_header=False)
    summary.add_column("quantity")
    summary.add_column("value", justify="right")
    summary.add_row("vehicles (AMRs used)", str(report.vehicles))
    summary.add_row("trips", str(report.trips))
    summary.add_row("distance", f"{report.distance:.2f}")
    summary.add_row("cost", f"{report.cost:.2f}")
    for name, value in report.costs.items():
        summary.add_row(f"  {name}", f"{value:.2f}")
    summary.add_row("requests served / rejected", f"{report.served} / {report.rejected}")
    if report.on_time_analytic:
        values = list(report.on_time_analytic.values())
        summary.add_row(
            "on-time probability (analytic) min / mean", f"{min(values):.4f} / {sum(values) / len(values):.4f}"
        )
    if report.on_time_monte_carlo:
        values = list(report.on_time_monte_carlo.values())
        summary.add_row(
            f"on-time rate (Monte Carlo, n={report.monte_carlo_samples}, seed {report.monte_carlo_seed}) min / mean",
            f"{min(values):.4f} / {sum(values) / len(values):.4f}",
        )
    summary.add_row("violations", str(len(report.violations)))
    console.print(summary)
    if report.violations:
        table = Table(title="violations")
        for column in ("kind", "request", "AMR", "trip", "detail"):
            table.add_column(column)
        for v in report.violations:
            table.add_row(
                v.kind,
                v.request or "",
                "" if v.amr is None else str(v.amr),
                "" if v.trip is None else str(v.trip),
                v.detail,
            )
        console.print(table)


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def register(cli: click.Group) -> None:
    """Add the ``validate`` command."""

    @cli.command("validate")
    @click.argument("instance", type=click.Path(dir_okay=False))
    @click.argument("solution", type=click.Path(dir_okay=False))
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="Readable table or one JSON object (Report.to_dict()).",
    )
    @click.option(
        "--monte-carlo",
        "monte_carlo",
        type=click.IntRange(min=0),
        default=0,
        show_default=True,
        help="Monte Carlo scenarios for the on-time rates (stochastic problems).",
    )
    @click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed of the Monte Carlo scenarios.")
    @click.option(
        "--respect-reveal-times",
        is_flag=True,
        help="Dynamic plans: an AMR may not leave for a request before it is revealed.",
    )
    @click.option("--schedule", is_flag=True, help="With --format json: include every visit's schedule.")
    def validate(
        instance: str,
        solution: str,
        output_format: str,
        monte_carlo: int,
        seed: int | None,
        respect_reveal_times: bool,
        schedule: bool,
    ) -> None:
        """Check SOLUTION against INSTANCE: schedule, violations, costs (exit 3 when infeasible)."""
        report = validate_files(
            instance, solution, monte_carlo=monte_carlo, seed=seed, respect_reveal_times=respect_reveal_times
        )
        if output_format == "json":
            click.echo(json.dumps(_json_safe(report.to_dict(schedule=schedule)), allow_nan=False))
        else:
            _print_table(report, instance, solution)
        if not report.feasible:
            # imported here: hospital_or.cli imports this module while it is still initialising
            from hospital_or.cli import EXIT_INFEASIBLE, exit_with

            exit_with(EXIT_INFEASIBLE)
