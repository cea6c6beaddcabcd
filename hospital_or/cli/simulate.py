"""``hospital-or simulate INSTANCE SOLUTION``: replicate the simulated day of a plan and print KPI means and CIs.

A thin shell over :func:`simulate_files` (which wraps :func:`hospital_or.simulation.replicate`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import click

from hospital_or.simulation import POLICIES, ReplicationResult, SimulationConfig, make_policy, replicate


def simulate_files(
    instance: str | Path,
    solution: str | Path,
    *,
    replications: int,
    seed: int,
    policy: str = "static",
    chargers_per_station: int | None = 1,
    elevator_cars: int | None = 1,
) -> ReplicationResult:
    """Read an instance and a plan and simulate ``replications`` days (the library function behind the command).

    Parameters
    ----------
    instance, solution
        Paths read by :func:`hospital_or.io.read_instance` and :func:`hospital_or.io.read_solution`.
    replications, seed
        Number of replications and base seed (common random numbers, see :mod:`hospital_or.simulation.kpis`).
    policy
        Registered policy name.
    chargers_per_station, elevator_cars
        Resources (``None`` = unlimited).
    """
    from hospital_or.io import read_instance, read_solution

    problem = read_instance(instance)
    plan = read_solution(solution, problem)
    config = SimulationConfig(chargers_per_station, elevator_cars, record_log=False)
    return replicate(problem, plan, policy, replications=replications, seed=seed, config=config)


def _print_table(result: ReplicationResult, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in ("KPI", "mean", "95% CI", "n"):
        table.add_column(column, justify="left" if column == "KPI" else "right")
    for kpi, row in result.summary().iterrows():
        if math.isnan(row["mean"]):
            table.add_row(str(kpi), "-", "-", str(int(row["n"])))
            continue
        table.add_row(
            str(kpi), f"{row['mean']:.4g}", f"[{row['ci_low']:.4g}, {row['ci_high']:.4g}]", str(int(row["n"]))
        )
    Console(highlight=False).print(table)


def _check_policy(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        make_policy(value)
    except (ValueError, TypeError) as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def register(cli: click.Group) -> None:
    """Add the ``simulate`` command."""

    @cli.command("simulate")
    @click.argument("instance", type=click.Path(exists=True, dir_okay=False))
    @click.argument("solution", type=click.Path(exists=True, dir_okay=False))
    @click.option("--replications", "-r", type=click.IntRange(min=1), default=30, show_default=True)
    @click.option("--seed", type=click.IntRange(min=0), required=True, help="Base seed (recorded in the output).")
    @click.option(
        "--policy",
        default="static",
        show_default=True,
        callback=_check_policy,
        help=f"Policy: {', '.join(sorted(POLICIES))} or an import path package.module:Class.",
    )
    @click.option(
        "--chargers",
        type=click.IntRange(min=0),
        default=1,
        show_default=True,
        help="Chargers per charging station (0 = unlimited).",
    )
    @click.option(
        "--elevator-cars",
        type=click.IntRange(min=0),
        default=1,
        show_default=True,
        help="Elevator cars (0 = unlimited).",
    )
    @click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
    def simulate_command(
        instance: str,
        solution: str,
        replications: int,
        seed: int,
        policy: str,
        chargers: int,
        elevator_cars: int,
        fmt: str,
    ) -> None:
        """Simulate SOLUTION on INSTANCE (SimPy) and print KPI means with 95 % confidence intervals."""
        result = simulate_files(
            instance,
            solution,
            replications=replications,
            seed=seed,
            policy=policy,
            chargers_per_station=chargers or None,
            elevator_cars=elevator_cars or None,
        )
        if fmt == "json":
            payload = {"instance": str(instance), "solution": str(solution), **result.to_dict()}
            click.echo(json.dumps(payload, indent=2))
        else:
            title = f"{Path(solution).name} on {Path(instance).name}: {replications} replications, seed {seed}"
            _print_table(result, title)
