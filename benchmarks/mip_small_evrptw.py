"""Benchmark: the MIP on the 36 small E-VRPTW instances of Schneider et al. (5, 10 and 15 customers).

For every instance and back-end: status, objective, bound, gap, vehicles and distance against the published values
(``bks_small.csv``; vehicles first, then distance, 0.01 tolerance), the checker's verdict, and the run time.

Usage::

    python benchmarks/mip_small_evrptw.py --sizes 5 10 --backends pulp-highs pulp-cbc ortools --time-limit 60
    python benchmarks/mip_small_evrptw.py --sizes 15 --backends pulp-highs --time-limit 300 --csv out.csv
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

from hospital_or.checker import check
from hospital_or.io import read_instance
from hospital_or.mip import solve_mip
from hospital_or.paths import shared_instances_dir


def published() -> dict[str, tuple[int, float]]:
    """Instance -> (vehicles, distance) from ``bks_small.csv``."""
    path = shared_instances_dir() / "evrptw" / "bks_small.csv"
    with open(path, newline="") as fh:
        return {row["instance"]: (int(row["vehicles"]), float(row["distance"])) for row in csv.DictReader(fh)}


def instances(sizes: list[int]) -> list[Path]:
    """Small instance files with the given customer counts, in a stable order."""
    folder = shared_instances_dir() / "evrptw" / "small"
    files = sorted(folder.glob("*.txt"))
    keep = []
    for f in files:
        m = re.search(r"C(\d+)$", f.stem)
        if m and int(m.group(1)) in sizes:
            keep.append(f)
    return sorted(keep, key=lambda f: (int(re.search(r"C(\d+)$", f.stem).group(1)), f.stem))


def run(sizes: list[int], backends: list[str], time_limit: float, only: list[str] | None) -> list[dict]:
    """Solve every instance with every back-end; one row per run."""
    bks = published()
    rows = []
    for path in instances(sizes):
        if only and path.stem not in only:
            continue
        problem = read_instance(path)
        for backend in backends:
            res = solve_mip(problem, backend=backend, time_limit=time_limit)
            report = check(problem, res.solution) if res.solution is not None else None
            ref_v, ref_d = bks.get(path.stem, (None, None))
            match = (
                res.solution is not None
                and ref_v is not None
                and res.vehicles == ref_v
                and abs(res.distance - ref_d) <= 0.01 + 1e-9
            )
            row = {
                "instance": path.stem,
                "backend": backend,
                "status": res.status,
                "objective": res.objective,
                "bound": res.bound,
                "gap": res.gap,
                "vehicles": res.vehicles,
                "distance": res.distance,
                "published": f"{ref_v}/{ref_d:.2f}" if ref_v is not None else "",
                "matches_published": bool(match),
                "checker_feasible": bool(report.feasible) if report else None,
                "checker_cost_equal": (
                    abs(report.cost - res.objective) <= 1e-6 * max(1.0, abs(report.cost)) if report else None
                ),
                "runtime_s": res.runtime_s,
                "arcs": res.n_arcs,
            }
            rows.append(row)
            print(_line(row), flush=True)
    return rows


def _line(r: dict) -> str:
    return (
        f"| {r['instance']:9} | {r['backend']:10} | {r['status']:10} | {r['vehicles']} / {r['distance']:8.2f} "
        f"| {r['published']:>10} | {'yes' if r['matches_published'] else 'NO':3} | {r['gap']:.2e} "
        f"| {'ok' if r['checker_feasible'] and r['checker_cost_equal'] else 'FAIL'} | {r['runtime_s']:7.2f} |"
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 10])
    parser.add_argument("--backends", nargs="+", default=["pulp-highs"])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--only", nargs="*", default=None, help="Instance names to run (default: all).")
    parser.add_argument("--csv", type=Path, default=None)
    args = parser.parse_args(argv)
    print("| instance | backend | status | vehicles / distance | published | match | gap | checker | time (s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    rows = run(args.sizes, args.backends, args.time_limit, args.only)
    for backend in args.backends:
        mine = [r for r in rows if r["backend"] == backend]
        proven = sum(r["status"] == "optimal" for r in mine)
        match = sum(r["matches_published"] for r in mine)
        print(f"{backend}: {proven}/{len(mine)} proven optimal, {match}/{len(mine)} match the published values")
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
