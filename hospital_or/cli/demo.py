"""``hospital-or demo``: the main job on the embedded default instance (what ``make demo`` runs)."""

from __future__ import annotations

import json

import click


def register(cli: click.Group) -> None:
    """Add the ``demo`` command."""

    @cli.command("demo")
    @click.option("--out", type=click.Path(file_okay=False), default="demo_output", show_default=True,
                  help="Folder for the solution, schedule, statistics and plots.")
    @click.option("--instance", type=click.Path(exists=True, dir_okay=False), default=None,
                  help="Instance file (default: the embedded hospital instance).")
    @click.option("--seed", type=int, default=0, show_default=True)
    @click.option("--time-limit", type=click.FloatRange(min=0), default=20.0, show_default=True)
    @click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
    def demo(out: str, instance: str | None, seed: int, time_limit: float, fmt: str) -> None:
        """Solve the default hospital instance with the VNS, check it, and write CSV/JSON/PNG outputs."""
        from hospital_or.cli import EXIT_INFEASIBLE, exit_with
        from hospital_or.demo import DEFAULT_INSTANCE, run_demo

        summary = run_demo(out, instance or DEFAULT_INSTANCE, seed=seed, time_limit=time_limit)
        if fmt == "json":
            click.echo(json.dumps(summary, sort_keys=True))
        else:
            click.echo(f"instance   {summary['instance']} ({summary['requests']} requests)")
            click.echo(f"feasible   {summary['feasible']}")
            if summary["feasible"]:
                click.echo(f"AMRs       {summary['vehicles']}   trips {summary['trips']}")
                click.echo(f"distance   {summary['distance']:.1f}   cost {summary['cost']:.2f}")
                if "on_time_monte_carlo_min" in summary:
                    click.echo(f"on time    analytic min {summary['on_time_analytic_min']:.3f}, "
                               f"Monte Carlo min {summary['on_time_monte_carlo_min']:.3f} "
                               f"({summary['monte_carlo_samples']} samples)")
                click.echo(f"outputs in {out}/: {', '.join(summary['files'])}")
        if not summary["feasible"]:
            exit_with(EXIT_INFEASIBLE)
