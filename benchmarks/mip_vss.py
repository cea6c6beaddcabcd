"""Benchmark: value of the stochastic solution on small stochastic E-VRPTW instances.

The 5-customer E-VRPTW instances get random travel and service times (``cv_travel = cv_service = CV``) and the
chance constraint ``P(on time) >= beta``. Three plans are computed exactly (routes formulation of
:func:`hospital_or.mip.solve_mip`):

* ``deterministic``: the optimum of the problem with mean times (what a deterministic model would deploy);
* ``chance (E1)``: the optimum under the analytic chance constraint ``mean + z_beta * sd <= due``;
* ``SAA``: the optimum under the sample-average chance constraint on ``--saa`` in-sample scenarios.

All three are evaluated by the independent checker on the **same** out-of-sample scenarios (Monte Carlo with
common random numbers, ``--mc`` scenarios, seed ``--seed + 1``). The table gives cost, AMRs, distance, the
worst and mean out-of-sample on-time rate, and the number of requests whose out-of-sample on-time rate is below
beta.

Usage::

    python benchmarks/mip_vss.py --cv 0.2 --beta 0.9 --saa 200 --mc 2000
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from hospital_or.checker import check
from hospital_or.io import read_instance
from hospital_or.mip import solve_mip
from hospital_or.paths import shared_instances_dir
from hospital_or.problem import StochasticModel


def evaluate(problem, solution, mc: int, seed: int) -> dict:
    """Cost and out-of-sample on-time statistics of a plan (checker, Monte Carlo with common random numbers)."""
    report = check(problem, solution, monte_carlo=mc, seed=seed)
    rates = list((report.on_time_monte_carlo or {}).values())
    beta = problem.stochastic.beta
    return {
        "cost": report.cost,
        "vehicles": report.vehicles,
        "distance": report.distance,
        "analytic_ok": report.feasible,
        "mc_min": min(rates) if rates else float("nan"),
        "mc_mean": float(np.mean(rates)) if rates else float("nan"),
        "below_beta": sum(r < beta - 1e-12 for r in rates),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cv", type=float, default=0.2)
    parser.add_argument("--beta", type=float, default=0.9)
    parser.add_argument("--saa", type=int, default=200)
    parser.add_argument("--mc", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--instances", nargs="*", default=None)
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args(argv)
    folder = shared_instances_dir() / "evrptw" / "small"
    names = args.instances or sorted(p.stem for p in folder.glob("*C5.txt"))
    print(f"cv = {args.cv}, beta = {args.beta}, SAA scenarios = {args.saa}, out-of-sample scenarios = {args.mc}")
    print("| instance | plan | status | AMRs / distance | cost | analytic chance ok | MC on-time min / mean "
          "| requests < beta |")
    print("|---|---|---|---|---|---|---|---|")
    for name in names:
        base = read_instance(folder / f"{name}.txt")
        problem = base.replace(stochastic=StochasticModel(cv_travel=args.cv, cv_service=args.cv, beta=args.beta))
        plans = {
            "deterministic": solve_mip(base, formulation="routes", time_limit=args.time_limit),
            "chance (E1)": solve_mip(problem, formulation="routes", time_limit=args.time_limit),
            "SAA": solve_mip(problem, formulation="routes", time_limit=args.time_limit, saa_scenarios=args.saa,
                             rng=np.random.default_rng(args.seed)),
        }
        for label, res in plans.items():
            if res.solution is None:
                print(f"| {name} | {label} | {res.status} | - | - | - | - | - |")
                continue
            ev = evaluate(problem, res.solution, args.mc, args.seed + 1)
            print(
                f"| {name} | {label} | {res.status} | {ev['vehicles']} / {ev['distance']:.2f} | {ev['cost']:.2f} "
                f"| {'yes' if ev['analytic_ok'] else 'no'} | {ev['mc_min']:.3f} / {ev['mc_mean']:.3f} "
                f"| {ev['below_beta']} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
