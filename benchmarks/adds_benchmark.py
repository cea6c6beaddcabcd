"""ADDS retrieval sequencing benchmark (issue 7).

Runs the layout x method x sorting-time comparison with the default generator (common random numbers, 95 % CIs)
and checks the targets:

* median IP window solve time <= 0.2 s;
* at mean sorting times 4, 12 and 25 s over >= 30 instances: two I/O points beat one (every method);
* the IP is no worse than DP, greedy and random in mean picking time (paired over instances and paths).

Usage::

    .venv/bin/python benchmarks/adds_benchmark.py [--instances 30] [--orders 30] [--workers 2] [--out DIR]

Prints a Markdown table and the checks; ``--out`` also writes ``summary.csv``, ``raw.csv``, ``windows.csv`` and
``benchmark.md``. A failed ordering is reported (with its paired confidence interval), not hidden; the exit code is
0 either way unless ``--strict``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from hospital_or.adds.experiment import CompareConfig, CompareResult, ci95_half_width, run_compare
from hospital_or.adds.generator import GeneratorConfig


def _fmt(x: float, nd: int = 2) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{nd}f}"


def table(result: CompareResult) -> str:
    """Markdown table of the summary."""
    head = (
        "| sorting mean (s) | layout | method | APT mean (s) | ±95% CI | vs IP (s, paired) | ±95% CI "
        "| 2-I/O gain (%) | seq. time (s) |\n|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in result.summary.itertuples():
        lines.append(
            f"| {r.sorting_mean_s:g} | {r.layout} | {r.method} | {_fmt(r.apt_mean_s)} | {_fmt(r.apt_ci95_s)} "
            f"| {_fmt(r.diff_vs_ip_mean_s, 3)} | {_fmt(r.diff_vs_ip_ci95_s, 3)} | {_fmt(r.layout_gain_pct, 1)} "
            f"| {_fmt(r.sequencing_seconds_mean, 3)} |"
        )
    return "\n".join(lines)


def checks(result: CompareResult, cfg: CompareConfig) -> list[tuple[str, bool, str]]:
    """The issue's targets as (name, passed, detail)."""
    out: list[tuple[str, bool, str]] = []
    win = result.windows
    ip_win = win[win.method == "ip"]
    if len(ip_win):
        med = float(ip_win.solve_s.median())
        med_cpu = float(ip_win.solve_cpu_s.median())
        per = ", ".join(
            f"{lay} S={m:g}: {g.solve_s.median():.3f} s wall / {g.solve_cpu_s.median():.3f} s CPU "
            f"(max {g.solve_s.max():.2f} s wall, n={len(g)})"
            for (lay, m), g in ip_win.groupby(["layout", "sorting_mean_s"])
        )
        out.append(
            (
                "IP window solve time median <= 0.2 s",
                med <= 0.2,
                f"pooled median {med:.3f} s wall, {med_cpu:.3f} s CPU; {per}",
            )
        )
    raw = result.raw
    for mean in cfg.sorting_means:
        for method in cfg.methods:
            a = raw[(raw.layout == "1io") & (raw.method == method) & (raw.sorting_mean_s == mean)]
            b = raw[(raw.layout == "2io") & (raw.method == method) & (raw.sorting_mean_s == mean)]
            if len(a) and len(b):
                d = a.sort_values("instance").apt_s.to_numpy() - b.sort_values("instance").apt_s.to_numpy()
                out.append(
                    (
                        f"S={mean:g}: 2-I/O beats 1-I/O ({method})",
                        bool(d.mean() > 0),
                        f"1io - 2io = {d.mean():.2f} ± {ci95_half_width(d):.2f} s, "
                        f"2io better on {int((d > 0).sum())}/{len(d)} instances",
                    )
                )
        for lay in cfg.layouts:
            ip = raw[(raw.layout == lay) & (raw.method == "ip") & (raw.sorting_mean_s == mean)]
            for other in ("dp", "greedy", "random"):
                o = raw[(raw.layout == lay) & (raw.method == other) & (raw.sorting_mean_s == mean)]
                if len(ip) and len(o):
                    d = o.sort_values("instance").apt_s.to_numpy() - ip.sort_values("instance").apt_s.to_numpy()
                    out.append(
                        (
                            f"S={mean:g} {lay}: IP no worse than {other}",
                            bool(d.mean() >= -1e-9),
                            f"{other} - ip = {d.mean():.3f} ± {ci95_half_width(d):.3f} s "
                            f"({100 * d.mean() / ip.apt_s.mean():.2f} %), IP better/equal on "
                            f"{int((d >= -1e-9).sum())}/{len(d)} instances",
                        )
                    )
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=30)
    ap.add_argument("--orders", type=int, default=30)
    ap.add_argument("--sorting-mean", type=float, nargs="+", default=[4.0, 12.0, 25.0])
    ap.add_argument("--methods", nargs="+", default=["ip", "ip-mean", "dp", "greedy", "random", "fcfs"])
    ap.add_argument("--n-eval", type=int, default=200)
    ap.add_argument("--n-plan", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--layouts", nargs="+", default=["1io", "2io"])
    ap.add_argument("--travel-eps", type=float, default=0.0, help="robot-travel tie-break weight of the IP")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = ap.parse_args(argv)
    cfg = CompareConfig(
        n_instances=args.instances,
        sorting_means=tuple(args.sorting_mean),
        methods=tuple(args.methods),
        layouts=tuple(args.layouts),
        travel_eps=args.travel_eps,
        seed=args.seed,
        n_eval=args.n_eval,
        n_plan=args.n_plan,
        generator=replace(GeneratorConfig(), n_orders=args.orders),
    )
    t0 = time.perf_counter()
    result = run_compare(cfg, workers=args.workers, progress=lambda d, n: print(f"  {d}/{n}", file=sys.stderr))
    elapsed = time.perf_counter() - t0
    text = [
        f"ADDS benchmark: {cfg.n_instances} instances x {args.orders} orders, {cfg.n_eval} CRN sorting paths, "
        f"{cfg.n_plan} planning scenarios, seed {cfg.seed}, lognormal CV {cfg.generator.sorting.cv}, "
        f"IP travel tie-break {cfg.travel_eps:g}, "
        f"{args.workers} worker(s), {elapsed:.0f} s",
        "",
        table(result),
        "",
        "Checks:",
    ]
    ok = True
    for name, passed, detail in checks(result, cfg):
        ok &= passed
        text.append(f"- [{'PASS' if passed else 'FAIL'}] {name}: {detail}")
    ip_win = result.windows[result.windows.method == "ip"]
    if len(ip_win):
        text.append(
            f"\nIP windows: {len(ip_win)}, solve median {ip_win.solve_s.median():.3f} s, "
            f"p90 {np.percentile(ip_win.solve_s, 90):.3f} s, max {ip_win.solve_s.max():.3f} s (wall); CPU median "
            f"{ip_win.solve_cpu_s.median():.3f} s, p90 {np.percentile(ip_win.solve_cpu_s, 90):.3f} s; "
            f"model build median {ip_win.build_s.median():.4f} s"
        )
    report = "\n".join(text)
    print(report)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        result.summary.to_csv(args.out / "summary.csv", index=False)
        result.raw.to_csv(args.out / "raw.csv", index=False)
        result.windows.to_csv(args.out / "windows.csv", index=False)
        (args.out / "benchmark.md").write_text(report + "\n")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
