"""``hospital-or dynamic``: the two-stage dynamic day (stage-1 tabu plan, stage-2 policy) and its sweep.

Thin shells over :func:`hospital_or.dynamic.run_dynamic` and :func:`hospital_or.dynamic.sweep.sweep`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from hospital_or.cli import EXIT_INFEASIBLE, exit_with

POLICY_NAMES = ("greedy", "rules", "rules+reopt")


def _params(path: str | None, safety_stock: int | None, reservation: str | None):
    from hospital_or.dynamic import load_dynamic_params

    params = load_dynamic_params(path)
    changes = {}
    if safety_stock is not None:
        changes["safety_stock"] = safety_stock
    if reservation is not None:
        parts = [int(x) for x in reservation.replace(",", " ").split()]
        changes["reservation"] = tuple(parts)
    return params.replace(**changes) if changes else params


class _DynamicGroup(click.Group):
    """``dynamic INSTANCE ...`` runs a day; ``dynamic sweep ...`` is a subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


def register(cli: click.Group) -> None:
    """Add the ``dynamic`` group to the CLI."""

    @cli.group(cls=_DynamicGroup)
    def dynamic() -> None:
        """Two-stage dynamic AMR routing with priorities: ``dynamic INSTANCE`` or ``dynamic sweep INSTANCE...``."""

    @dynamic.command("run")
    @click.argument("instance", type=click.Path(exists=True, dir_okay=False))
    @click.option("--policy", type=click.Choice(POLICY_NAMES), default="rules", show_default=True)
    @click.option("--safety-stock", "safety_stock", type=click.IntRange(0), default=None,
                  help="Spare AMRs s beyond the stage-1 fleet, before the morning fleet check "
                       "(safety_check_rule) adjusts it (default: the parameter file's, else 0).")
    @click.option("--reservation", default=None, help="Thresholds r_1,r_2,r_3, e.g. 0,1,1.")
    @click.option("--seed", type=int, default=0, show_default=True)
    @click.option("--params", "params_path", type=click.Path(exists=True, dir_okay=False), default=None,
                  help="TOML file with the [dynamic] parameters.")
    @click.option("--no-hindsight", is_flag=True, help="Skip the full-information plan.")
    @click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
                  help="Folder for routes.sol, routes.json, events.csv, decisions.csv, summary.json.")
    @click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
    def run(instance, policy, safety_stock, reservation, seed, params_path, no_hindsight, out_dir, fmt):
        """Run one dynamic day of INSTANCE (a file with reveal times) and report its cost."""
        from hospital_or.dynamic import run_dynamic, write_dynamic_outputs
        from hospital_or.io import read_instance

        params = _params(params_path, safety_stock, reservation)
        result = run_dynamic(read_instance(instance), policy, seed=seed, params=params, hindsight=not no_hindsight)
        if out_dir is not None:
            write_dynamic_outputs(result, out_dir)
        d = result.to_dict()
        if fmt == "json":
            click.echo(json.dumps(d))
        else:
            c = d["components"]
            click.echo(f"{d['instance']} policy={d['policy']} s={d['safety_stock']} M={d['fleet']} (m1={d['m1']})")
            click.echo(f"revealed {d['revealed']} served {d['served']} rejected {d['rejected']}")
            click.echo(f"cost {d['cost']:.2f} = purchase {c['purchase']:.2f} + transport {c['transport']:.2f} "
                       f"+ delay {c['delay']:.2f} + denial {c['denial']:.2f}")
            if d["hindsight_cost"] is not None:
                click.echo(f"hindsight {d['hindsight_cost']:.2f} gap {d['hindsight_gap_pct']:.1f} %")
            ms = d["decision_ms"]
            if ms["median"] is not None:
                click.echo(f"decision time median {ms['median']:.3f} ms, p99 {ms['p99']:.3f} ms")
        if not result.report.feasible:
            exit_with(EXIT_INFEASIBLE)

    @dynamic.command("sweep")
    @click.argument("instances", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
    @click.option("--stocks", default="0,1,2,3,4", show_default=True, help="Safety stocks s.")
    @click.option("--reservations", default="000,011,012", show_default=True,
                  help="Threshold vectors r_1 r_2 r_3 (digits), comma separated.")
    @click.option("--seed", type=int, default=0, show_default=True)
    @click.option("--params", "params_path", type=click.Path(exists=True, dir_okay=False), default=None)
    @click.option("--no-hindsight", is_flag=True)
    @click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
                  help="Folder for sweep.csv and sweep.png.")
    @click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
    def sweep_cmd(instances, stocks, reservations, seed, params_path, no_hindsight, out_dir, fmt):
        """Cost components of the rules policy over safety stock x reservation thresholds (and greedy)."""
        import pandas as pd

        from hospital_or.dynamic.sweep import plot_sweep, sweep
        from hospital_or.io import read_instance

        params = _params(params_path, None, None)
        s_values = tuple(int(x) for x in stocks.split(","))
        r_values = tuple(tuple(int(ch) for ch in r.strip()) for r in reservations.split(","))
        if any(len(r) != 3 for r in r_values):
            raise click.BadParameter("each reservation vector needs three digits", param_hint="--reservations")
        frames = [sweep(read_instance(path), seed=seed, params=params, stocks=s_values, reservations=r_values,
                        hindsight=not no_hindsight) for path in instances]
        frame = pd.concat(frames, ignore_index=True)
        if out_dir is not None:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            folder = Path(out_dir)
            folder.mkdir(parents=True, exist_ok=True)
            frame.to_csv(folder / "sweep.csv", index=False)
            ax = plot_sweep(frame)
            ax.figure.savefig(folder / "sweep.png", dpi=120, bbox_inches="tight")
            plt.close(ax.figure)
        if fmt == "json":
            click.echo(frame.to_json(orient="records"))
        elif fmt == "csv":
            click.echo(frame.to_csv(index=False), nl=False)
        else:
            click.echo(frame.to_string(index=False, float_format=lambda x: f"{x:.1f}"))
