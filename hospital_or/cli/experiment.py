"""``hospital-or experiment run|report``: experiment grids on Dask (thin shells over :mod:`hospital_or.experiments`)."""

from __future__ import annotations

import json
import logging

import click


def _print_summary(report: dict) -> None:
    """One table per instance and parameter set: KPIs as rows, strategies as columns (mean ± CI half-width)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    rows = report["summary"]
    params = sorted({k for r in rows for k in r if k.startswith("param_")})
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["instance"], *(r.get(p) for p in params)), []).append(r)
    console.print(f"{report['cells']} cells, {report['replications']} replications; mean ± 95 % CI half-width")
    for key, items in groups.items():
        title = key[0] + "".join(f", {p[len('param_') :]}={v}" for p, v in zip(params, key[1:], strict=True))
        strategies = sorted({r["strategy"] for r in items})
        table = Table(title=title)
        table.add_column("kpi")
        for strategy in strategies:
            table.add_column(strategy, justify="right")
        cells = {(r["kpi"], r["strategy"]): r for r in items}
        for kpi in dict.fromkeys(r["kpi"] for r in items):
            values = []
            for strategy in strategies:
                r = cells.get((kpi, strategy))
                if r is None or r["mean"] is None:
                    values.append("-")
                else:
                    values.append(f"{r['mean']:.4g} ± {r['half_width']:.2g}")
            table.add_row(kpi, *values)
        console.print(table)
    for path in report["plots"]:
        click.echo(f"wrote {path}", err=True)


def register(cli: click.Group) -> None:
    """Add the ``experiment`` group."""

    @cli.group("experiment")
    def experiment() -> None:
        """Run experiment grids (instances x strategies x parameters) on Dask and report them."""

    @experiment.command("run")
    @click.argument("grid", type=click.Path(exists=True, dir_okay=False))
    @click.option("--out", "out", type=click.Path(file_okay=False), required=True, help="Result folder.")
    @click.option("--scheduler", default=None, help="Existing Dask scheduler, e.g. tcp://HOST:PORT.")
    @click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=2,
        show_default=True,
        help="Workers of the local cluster (ignored with --scheduler).",
    )
    @click.option("--no-progress", is_flag=True, help="No progress bar.")
    def run_command(grid: str, out: str, scheduler: str | None, workers: int, no_progress: bool) -> None:
        """Run every unfinished cell of GRID (TOML); finished cells in OUT are skipped (resume)."""
        from hospital_or.experiments import run_grid

        if logging.getLogger().level >= logging.WARNING:  # no -v: keep Dask's start/stop chatter off stderr
            import distributed  # noqa: F401  (its import configures the loggers we quieten here)

            for name in ("distributed", "distributed.scheduler", "distributed.nanny", "distributed.worker"):
                logging.getLogger(name).setLevel(logging.WARNING)
        summary = run_grid(grid, out, scheduler=scheduler, n_workers=workers, progress=not no_progress)
        click.echo(
            f"{summary.ran} cells run, {summary.skipped} already finished, {summary.total} in the grid "
            f"({summary.seconds:.1f} s on {summary.workers} workers); results in {out}",
            err=True,
        )

    @experiment.command("report")
    @click.argument("out", type=click.Path(exists=True, file_okay=False))
    @click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
    @click.option("--no-plots", is_flag=True, help="Do not write the box plots.")
    def report_command(out: str, fmt: str, no_plots: bool) -> None:
        """Print KPI means and 95 % CIs per strategy of the grid run in OUT; write box plots to OUT/report."""
        from hospital_or.experiments import grid_report

        report = grid_report(out, plots=not no_plots)
        if fmt == "json":
            click.echo(json.dumps(report, indent=2))
        else:
            _print_summary(report)
