"""Dynamic-policy benchmark (issue 5): decision times and costs against the hindsight plan.

On the 0.5-dynamism files of ``dvrptw_necula`` for the classes C1, R1 and RC1 (29 files), at default parameters
(:class:`hospital_or.dynamic.DynamicParams`), it runs ``greedy``, ``rules`` and ``rules+reopt`` on the same stage-1 plan
and compares each with the full-information (hindsight) plan. Targets:

- insertion decision time median < 1 ms and 99th percentile < 10 ms (pooled over all dynamic reveals);
- ``rules`` within 10 % of the hindsight cost on average, and cheaper than ``greedy`` (average total cost).

Usage::

    .venv/bin/python benchmarks/dynamic_benchmark.py [--classes c1,r1,rc1] [--limit N] [--seed 1 | --seeds 1,2,3]
        [--jobs 2]
        [--forecast resample|none] [--departure-slack-share 0.5] [--set FIELD=VALUE ...]
        [--hindsight-cache DIR] [--out benchmarks/results/dynamic]

With ``--seeds`` every file is run once per seed (its own priorities, stage-1 plan and hindsight plan) and the
targets are judged on the pooled runs; the tables also show each seed's means. One seed's mean moves by about 2
points from seed to seed on these files (the online day depends strongly on the stage-1 routing drawn), so compare
settings on several seeds.

The hindsight plan is drawn from its own generator (:func:`hospital_or.dynamic.model.hindsight_generator`), so it
does not change with the stage-1 parameters; ``--hindsight-cache`` keeps it between runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import re
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd

from hospital_or.dynamic import DynamicParams, run_dynamic
from hospital_or.dynamic.model import dynamic_problem, hindsight_generator, hindsight_plan, stage1_plan
from hospital_or.io import read_instance
from hospital_or.paths import shared_instances_dir

POLICIES = ("greedy", "rules", "rules+reopt")


def instance_files(classes: list[str], level: str = "0.5", limit: int | None = None) -> list[Path]:
    folder = shared_instances_dir() / "dvrptw_necula"
    out = []
    for cls in classes:
        pattern = re.compile(rf"^{cls}\d\d-{re.escape(level)}\.txt$")
        files = sorted(p for p in folder.iterdir() if pattern.match(p.name))
        out += files[:limit] if limit else files
    return out


#: Version of :func:`hindsight_plan` in the cache key (2: the search also plans with the reveal times as windows).
HINDSIGHT_VERSION = 2


def _hindsight_key(path: Path, seed: int, params: DynamicParams) -> str:
    """Cache key of a hindsight plan: the file, the seed and the parameters the full-information plan depends on."""
    fields = ("purchase_cost", "transport_cost", "lateness_weights", "denial_costs", "priority_mix",
              "assign_priorities", "max_trips", "hindsight_iterations", "hindsight_restarts")
    text = json.dumps([path.name, seed, [params.to_dict()[f] for f in fields], HINDSIGHT_VERSION])
    return f"{path.stem}-{hashlib.sha256(text.encode()).hexdigest()[:16]}.pkl"


def run_instance(path: Path, seed: int, params: DynamicParams, hindsight_cache: Path | None = None,
                 oracle_fleet: int | None = None) -> tuple[list[dict], list[float]]:
    problem = read_instance(path)
    rng = np.random.default_rng(seed)
    model = dynamic_problem(problem, params, rng)
    tic = time.perf_counter()
    plan = stage1_plan(model, params, rng)
    stage1_s = time.perf_counter() - tic
    tic = time.perf_counter()
    cached = hindsight_cache / _hindsight_key(path, seed, params) if hindsight_cache else None
    if cached is not None and cached.exists():
        hs = pickle.loads(cached.read_bytes())
    else:
        hs = hindsight_plan(model, params, hindsight_generator(seed))
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            tmp.write_bytes(pickle.dumps(hs))
            tmp.replace(cached)
    hindsight_s = time.perf_counter() - tic
    rows, times, reopt = [], [], []
    for policy in POLICIES:
        fleet = None if oracle_fleet is None else max(1, int(hs[1].vehicles) + oracle_fleet)
        res = run_dynamic(problem, policy, seed=seed, params=params, stage1=plan, hindsight_result=hs, fleet=fleet)
        d = res.to_dict()
        times += [1000.0 * x.seconds for x in res.decisions]
        reopt += [1000.0 * x for x in res.reopt_times]
        rows.append({
            "instance": problem.name, "class": re.match(r"[a-z]+\d", problem.name).group(0), "seed": seed,
            "policy": policy,
            "m1": d["m1"],
            "day_slack": d["day_slack"],
            "fleet": d["fleet"], "dynamic": d["dynamic"], "served": d["served"], "rejected": d["rejected"],
            "cost": d["cost"], **d["components"], "hindsight_cost": d["hindsight_cost"],
            "hindsight_amrs": d["hindsight_amrs"], "gap_pct": d["hindsight_gap_pct"],
            **{f"h_{k}": v for k, v in d["hindsight_components"].items()},
            "feasible": d["feasible"], "decision_ms_median": d["decision_ms"]["median"],
            "decision_ms_p99": d["decision_ms"]["p99"], "reopt_ms_median": d["reopt_ms"]["median"],
            "reopt_ms_p99": d["reopt_ms"]["p99"], "stage1_s": stage1_s, "hindsight_s": hindsight_s,
        })
    return rows, times, reopt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--classes", default="c1,r1,rc1")
    ap.add_argument("--level", default="0.5")
    ap.add_argument("--limit", type=int, default=None, help="files per class")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeds", default=None, help="several seeds, e.g. 1,2,3 (pooled targets; overrides --seed)")
    ap.add_argument("--out", default="benchmarks/results/dynamic")
    ap.add_argument("--safety-stock", type=int, default=None, help="override the default safety stock")
    ap.add_argument("--reservation", default=None, help="override the default thresholds, e.g. 0,1,1")
    ap.add_argument("--reopt-interval", type=float, default=None, help="override rules+reopt's interval")
    ap.add_argument("--forecast", default=None, choices=("resample", "none"), help="override the stage-1 forecast")
    ap.add_argument("--departure-slack-share", type=float, default=None, help="override the waiting strategy")
    ap.add_argument("--jobs", type=int, default=1, help="instances run in parallel (processes)")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="override any DynamicParams field (repeatable), e.g. --set make_room=0")
    ap.add_argument("--oracle-fleet", type=int, default=None, metavar="DELTA",
                    help="diagnostics only: purchase the hindsight plan's fleet + DELTA AMRs (peeks at hindsight)")
    ap.add_argument("--hindsight-cache", default=None,
                    help="folder keeping the hindsight plans between runs (keyed by file, seed, cost parameters)")
    args = ap.parse_args()
    params = DynamicParams()
    for item in args.set:
        key, _, value = item.partition("=")
        default = getattr(params, key)
        params = params.replace(**{key: (value.lower() in ("1", "true")) if isinstance(default, bool)
                                   else type(default)(value)})
    if args.safety_stock is not None:
        params = params.replace(safety_stock=args.safety_stock)
    if args.reopt_interval is not None:
        params = params.replace(reopt_interval=args.reopt_interval)
    if args.forecast is not None:
        params = params.replace(forecast=args.forecast)
    if args.departure_slack_share is not None:
        params = params.replace(departure_slack_share=args.departure_slack_share)
    if args.reservation is not None:
        params = params.replace(reservation=tuple(int(x) for x in args.reservation.split(",")))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows, times, reopt_times = [], [], []
    seeds = [int(x) for x in args.seeds.split(",")] if args.seeds else [args.seed]
    files = instance_files(args.classes.split(","), args.level, args.limit)
    jobs = [(path, seed) for seed in seeds for path in files]
    with ProcessPoolExecutor(max_workers=args.jobs) if args.jobs > 1 else nullcontext() as pool:
        tic = time.perf_counter()
        cache = Path(args.hindsight_cache) if args.hindsight_cache else None
        runs = (pool.map(run_instance, *zip(*jobs, strict=True), [params] * len(jobs), [cache] * len(jobs),
                         [args.oracle_fleet] * len(jobs)) if pool
                else (run_instance(path, seed, params, cache, args.oracle_fleet) for path, seed in jobs))
        for (path, seed), (r, t, ro) in zip(jobs, runs, strict=True):
            rows += r
            times += t
            reopt_times += ro
            best = {x["policy"]: x["cost"] for x in r}
            print(f"{path.name} seed {seed}: " + ", ".join(f"{k} {v:.0f}" for k, v in best.items())
                  + f", hindsight {r[0]['hindsight_cost']:.0f} ({time.perf_counter() - tic:.1f} s)", flush=True)
    frame = pd.DataFrame(rows)
    frame.to_csv(out / "per_instance.csv", index=False)
    summary = frame.groupby(["class", "policy"])[["cost", "hindsight_cost", "gap_pct", "served", "rejected",
                                                  "purchase", "transport", "delay", "denial", "h_purchase",
                                                  "h_transport", "h_delay", "h_denial"]].mean()
    overall = frame.groupby("policy")[["cost", "hindsight_cost", "gap_pct", "rejected"]].mean()
    t = np.asarray(times)
    ro = np.asarray(reopt_times) if reopt_times else np.zeros(1)
    decision = {"decisions": int(t.size), "median_ms": float(np.median(t)), "p99_ms": float(np.percentile(t, 99)),
                "max_ms": float(t.max()), "reopt_calls": len(reopt_times), "reopt_median_ms": float(np.median(ro)),
                "reopt_p99_ms": float(np.percentile(ro, 99)), "reopt_max_ms": float(ro.max())}
    by_seed = frame.groupby(["seed", "policy"])[["cost", "hindsight_cost", "gap_pct", "rejected"]].mean()
    rules = frame[frame.policy == "rules"].set_index(["seed", "instance"])["cost"]
    greedy = frame[frame.policy == "greedy"].set_index(["seed", "instance"])["cost"]
    verdict = {
        "decision_median_below_1ms": decision["median_ms"] < 1.0,
        "decision_p99_below_10ms": decision["p99_ms"] < 10.0,
        "rules_mean_gap_pct": float(frame[frame.policy == "rules"]["gap_pct"].mean()),
        "rules_within_10pct_of_hindsight": bool(frame[frame.policy == "rules"]["gap_pct"].mean() <= 10.0),
        "rules_mean_cost": float(rules.mean()),
        "greedy_mean_cost": float(greedy.mean()),
        "rules_cheaper_than_greedy": bool(rules.mean() < greedy.mean()),
        "rules_cheaper_or_equal_instances": int((rules <= greedy + 1e-6).sum()),
        "instances": int(rules.size),  # file-days: files x seeds
        "seeds": seeds,
        "all_feasible": bool(frame["feasible"].all()),
    }
    pd.set_option("display.width", 200)
    print(summary.to_string(float_format=lambda x: f"{x:.1f}"))
    print(overall.to_string(float_format=lambda x: f"{x:.1f}"))
    if len(seeds) > 1:
        print(by_seed.to_string(float_format=lambda x: f"{x:.2f}"))
    setting = {"safety_stock": params.safety_stock, "reservation": list(params.reservation),
               "seed": seeds[0] if len(seeds) == 1 else seeds,
               "reopt_interval": params.reopt_interval, "forecast": params.forecast,
               "departure_slack_share": params.departure_slack_share, "params": params.to_dict()}
    print(json.dumps({"setting": setting, "decision_time": decision, "targets": verdict}, indent=1))
    (out / "summary.txt").write_text(summary.to_string(float_format=lambda x: f"{x:.1f}") + "\n"
                                     + (by_seed.to_string(float_format=lambda x: f"{x:.2f}") + "\n"
                                        if len(seeds) > 1 else ""))
    (out / "targets.json").write_text(json.dumps({"setting": setting, "decision_time": decision, "targets": verdict},
                                                 indent=1))


if __name__ == "__main__":
    main()
