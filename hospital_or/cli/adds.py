"""``hospital-or adds sequence|compare|generate``: ADDS retrieval sequencing (issue 7).

Thin shells over :func:`hospital_or.adds.sequence_instance`, :func:`hospital_or.adds.experiment.run_compare` and
:func:`hospital_or.adds.generate_instance`.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import click
import numpy as np

CLI_METHODS = ("ip", "dp", "greedy", "random", "fcfs", "ip-line", "ip-mean")


def _parse_means(values: tuple[str, ...]) -> tuple[float, ...]:
    out: list[float] = []
    for v in values:
        for part in str(v).split(","):
            if part.strip():
                try:
                    out.append(float(part))
                except ValueError as exc:
                    raise click.BadParameter(f"not a number: {part!r}", param_hint="--sorting-mean") from exc
    return tuple(out)


def sequence_report(
    path: str | Path,
    method: str,
    layout_name: str,
    seed: int = 0,
    n_eval: int = 200,
    n_plan: int = 8,
    placement: str = "adjacent",
    walk: float = 0.0,
    solver: str = "highs",
) -> dict:
    """Sequence an instance file and score it (the ``adds sequence`` command as a function).

    Returns a JSON-ready dict: ``sequence`` (drugs per order in processing order), ``line_sequence``,
    ``apt_mean_s`` (over ``n_eval`` sampled sorting-time paths), ``apt_ci95_s`` (over those paths),
    ``apt_deterministic_s`` (every sorting time at its mean) and run information.
    """
    from hospital_or.adds import Instance, Layout, evaluate, sequence_instance, sequence_to_orders
    from hospital_or.adds.experiment import ci95_half_width

    inst = Instance.load(path)
    layout = Layout.parse(layout_name, placement, walk)
    t0 = time.perf_counter()
    seq = sequence_instance(
        inst, layout, method, np.random.default_rng([seed, 2]), n_plan=n_plan, solver=solver
    )
    seconds = time.perf_counter() - t0
    paths = inst.sorting.sample(np.random.default_rng([seed, 1]), (n_eval, inst.n_lines))
    timing = evaluate(inst, layout, seq, paths)
    det = evaluate(inst, layout, seq, np.full(inst.n_lines, inst.sorting.mean))
    return {
        "instance": inst.name,
        "layout": layout.name,
        "placement": layout.placement,
        "method": method,
        "n_orders": inst.n_orders,
        "n_lines": inst.n_lines,
        "sorting_mean_s": inst.sorting.mean,
        "apt_mean_s": timing.apt_mean,
        "apt_ci95_s": ci95_half_width(timing.apt),
        "apt_deterministic_s": det.apt_mean,
        "robot_utilisation": timing.robot_utilisation,
        "n_eval": n_eval,
        "seed": seed,
        "sequencing_seconds": seconds,
        "sequence": sequence_to_orders(inst, seq),
        "line_sequence": [int(j) for j in seq],
    }


def register(cli: click.Group) -> None:
    """Add ``sequence``, ``compare`` and ``generate`` to the ``adds`` group."""
    group = cli.commands["adds"]

    @group.command("sequence")
    @click.argument("instance", type=click.Path(exists=True, dir_okay=False))
    @click.option("--method", type=click.Choice(CLI_METHODS), default="ip", show_default=True)
    @click.option("--layout", "layout_name", type=click.Choice(["1io", "2io"]), default="2io", show_default=True)
    @click.option("--placement", type=click.Choice(["adjacent", "split"]), default="adjacent", show_default=True,
                  help="Where the second I/O point is.")
    @click.option("--walk", type=float, default=0.0, show_default=True, help="Pharmacist walk between I/O points (s).")
    @click.option("--seed", type=int, default=0, show_default=True, help="Seed of planning and evaluation draws.")
    @click.option("--n-eval", type=click.IntRange(1), default=200, show_default=True,
                  help="Sorting-time paths used to score the sequence.")
    @click.option("--n-plan", type=click.IntRange(1), default=8, show_default=True,
                  help="Planning scenarios of the IP.")
    @click.option("--solver", type=click.Choice(["highs", "cbc"]), default="highs", show_default=True)
    @click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
    def sequence_cmd(instance, method, layout_name, placement, walk, seed, n_eval, n_plan, solver, fmt):
        """Sequence the retrievals of INSTANCE (JSON from `adds generate`) and report the average picking time."""
        rep = sequence_report(instance, method, layout_name, seed, n_eval, n_plan, placement, walk, solver)
        if fmt == "json":
            click.echo(json.dumps(rep, indent=1))
            return
        click.echo(
            f"{rep['instance']}: {rep['n_orders']} orders, {rep['n_lines']} lines, layout {rep['layout']}, "
            f"method {rep['method']}"
        )
        click.echo(
            f"average picking time {rep['apt_mean_s']:.2f} s ± {rep['apt_ci95_s']:.2f} (95% CI over "
            f"{rep['n_eval']} sorting-time paths); at mean sorting times {rep['apt_deterministic_s']:.2f} s"
        )
        for o, drugs in enumerate(rep["sequence"]):
            click.echo(f"  order {o}: " + " ".join(str(d) for d in drugs))

    @group.command("compare")
    @click.option("--instances", "n_instances", type=click.IntRange(1), default=10, show_default=True)
    @click.option("--sorting-mean", "sorting_means", multiple=True, default=("4", "12", "25"), show_default=True,
                  help="Mean sorting time(s) in seconds; repeat the option or give a comma-separated list.")
    @click.option("--orders", type=click.IntRange(1), default=30, show_default=True, help="Orders per instance.")
    @click.option("--methods", default="ip,dp,greedy,random,fcfs", show_default=True,
                  help="Comma-separated methods (ip, ip-line, ip-mean, dp, greedy, random, fcfs).")
    @click.option("--layouts", default="1io,2io", show_default=True)
    @click.option("--n-eval", type=click.IntRange(1), default=200, show_default=True)
    @click.option("--n-plan", type=click.IntRange(1), default=8, show_default=True)
    @click.option("--seed", type=int, default=0, show_default=True)
    @click.option("--workers", type=click.IntRange(1), default=1, show_default=True)
    @click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
    @click.option("--out", type=click.Path(file_okay=False), default=None,
                  help="Write summary.csv, raw.csv, summary.json and apt.png here.")
    def compare_cmd(n_instances, sorting_means, orders, methods, layouts, n_eval, n_plan, seed, workers, fmt, out):
        """Average picking time per layout x method x sorting-time level (common random numbers, 95% CI)."""
        from hospital_or.adds.experiment import CompareConfig, run_compare
        from hospital_or.adds.generator import GeneratorConfig

        cfg = CompareConfig(
            n_instances=n_instances,
            sorting_means=_parse_means(sorting_means),
            layouts=tuple(x.strip() for x in layouts.split(",") if x.strip()),
            methods=tuple(x.strip() for x in methods.split(",") if x.strip()),
            seed=seed,
            n_eval=n_eval,
            n_plan=n_plan,
            generator=replace(GeneratorConfig(), n_orders=orders),
        )
        result = run_compare(cfg, workers=workers)
        rows = result.rows()
        if out:
            outdir = Path(out)
            outdir.mkdir(parents=True, exist_ok=True)
            result.summary.to_csv(outdir / "summary.csv", index=False)
            result.raw.to_csv(outdir / "raw.csv", index=False)
            (outdir / "summary.json").write_text(json.dumps(rows, indent=1) + "\n")
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            from hospital_or.adds.plots import plot_apt

            ax = plot_apt(result.summary)
            ax.figure.tight_layout()
            ax.figure.savefig(outdir / "apt.png", dpi=120)
            plt.close(ax.figure)
        if fmt == "json":
            click.echo(json.dumps(rows, indent=1))
            return
        click.echo(f"{'S (s)':>6} {'layout':>6} {'method':>8} {'APT (s)':>9} {'±95%':>7} {'vs ip':>8} {'n':>3}")
        for r in rows:
            diff = r["diff_vs_ip_mean_s"]
            click.echo(
                f"{r['sorting_mean_s']:>6g} {r['layout']:>6} {r['method']:>8} {r['apt_mean_s']:>9.2f} "
                f"{(r['apt_ci95_s'] or 0.0):>7.2f} {'' if diff is None else f'{diff:+.2f}':>8} {r['n_instances']:>3}"
            )

    @group.command("generate")
    @click.argument("out", type=click.Path(dir_okay=False))
    @click.option("--seed", type=int, default=0, show_default=True)
    @click.option("--orders", type=click.IntRange(1), default=30, show_default=True)
    @click.option("--sorting-mean", type=float, default=12.0, show_default=True)
    @click.option("--sorting-cv", type=float, default=0.3, show_default=True)
    @click.option("--distribution", type=click.Choice(["lognormal", "exponential", "truncnormal", "uniform",
                                                       "deterministic"]), default="lognormal", show_default=True)
    @click.option("--storage", type=click.Choice(["random", "coi"]), default="random", show_default=True)
    @click.option("--name", default=None, help="Instance name (default adds-<orders>-s<seed>).")
    def generate_cmd(out, seed, orders, sorting_mean, sorting_cv, distribution, storage, name):
        """Generate an ADDS instance (spec section 7 defaults) and write it as JSON to OUT."""
        from hospital_or.adds import GeneratorConfig, SortingTime, generate_instance

        cfg = replace(
            GeneratorConfig(),
            n_orders=orders,
            storage=storage,
            sorting=SortingTime(distribution, sorting_mean, sorting_cv),
        )
        inst = generate_instance(cfg, seed, name)
        inst.save(out)
        click.echo(f"wrote {out}: {inst.n_orders} orders, {inst.n_lines} lines, {inst.n_drugs} drugs")
