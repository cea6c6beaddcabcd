"""Simulator and experiment-grid benchmark.

1. Replications per minute (one core) of a 500-request, 20-AMR synthetic hospital day (elevator with one car,
   charging stations with one charger each, batteries, nearest-neighbour plan, static policy), without and with the
   event log. Target: >= 1000 per minute per core.
2. Speed-up of a LocalCluster with 2 worker processes over 1 on a grid of >= 40 cells (cluster start-up excluded).
   Target: >= 1.8x. Runs alternate 1 and 2 workers and the best time of each is kept. Each run also records the
   1-minute load average, the share of time the workers were computing (``worker_busy_share``) and a control: the
   speed-up of two plain busy Python processes at that moment. On a shared machine that control shows how much
   parallel capacity there was at all; a grid speed-up can only be judged against it.

Usage::

    .venv/bin/python benchmarks/sim_benchmark.py [--replications 200] [--cells-replications 100] [--repeats 2]
        [--skip-grid]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from hospital_or.experiments import load_results, parse_grid, run_grid
from hospital_or.simulation import (
    SimulationConfig,
    SimulationModel,
    nearest_neighbour_plan,
    replicate,
    synthetic_day,
)


def replications_per_minute(replications: int, record_log: bool) -> dict:
    problem = synthetic_day(500, 20, rng=np.random.default_rng(2026), floors=5, n_stations=3, dynamism=0.2)
    plan = nearest_neighbour_plan(problem)
    model = SimulationModel(problem)
    config = SimulationConfig(chargers_per_station=1, elevator_cars=1, record_log=record_log)
    replicate(model, plan, replications=3, seed=1, config=config, keep_results=record_log)  # warm-up
    start, cpu = time.perf_counter(), time.process_time()
    result = replicate(model, plan, replications=replications, seed=7, config=config, keep_results=record_log)
    if record_log:  # build the DataFrames too: that is what a user of the log pays
        for r in result.results:
            _ = r.events, r.visits
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    k = result.summary()["mean"]
    return {
        "requests": problem.n_requests,
        "amrs": problem.fleet.max_vehicles,
        "plan_trips": plan.num_trips,
        "event_log": record_log,
        "replications": replications,
        "seconds": round(seconds, 3),
        "replications_per_minute": round(replications / seconds * 60.0, 1),
        # CPU time of this process: the per-core rate, insensitive to other processes competing for the cores
        "cpu_seconds": round(cpu, 3),
        "replications_per_cpu_minute": round(replications / cpu * 60.0, 1),
        "mean_on_time_rate": round(float(k["on_time_rate"]), 4),
        "mean_elevator_queue_time": round(float(k["elevator_queue_time"]), 2),
    }


def _spin(n: int) -> int:
    total = 0
    for k in range(n):
        total += k * k % 7
    return total


def raw_parallel_speedup(n: int = 6_000_000) -> dict:
    """Control: two busy pure-Python processes in parallel vs the same work in one process, right now.

    If this is far below 2, the cores are taken by other processes (or are hyper-threads of one core) and no Dask
    configuration can reach the target speed-up at that moment.
    """
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_spin, [1000, 1000]))  # start both processes
        start = time.perf_counter()
        list(pool.map(_spin, [n]))
        list(pool.map(_spin, [n]))
        serial = time.perf_counter() - start
        start = time.perf_counter()
        list(pool.map(_spin, [n, n]))
        parallel = time.perf_counter() - start
    return {
        "serial_seconds": round(serial, 2),
        "parallel_seconds": round(parallel, 2),
        "speedup": round(serial / parallel, 3),
    }


def grid_speedup(cell_replications: int, repeats: int) -> dict:
    grid = parse_grid(
        {
            "name": "speedup",
            "seed": 1,
            "replications": cell_replications,
            "instances": [{"name": "day300", "synthetic": {"n_requests": 300, "n_amrs": 12, "seed": 3, "floors": 4}}],
            "strategies": [
                {"name": "nn-static", "plan": "nearest-neighbour", "policy": "static"},
                {"name": "nn-nearest-idle", "plan": "nearest-neighbour", "policy": "nearest-idle"},
            ],
            "parameters": {
                "cv_travel": [0.1, 0.2, 0.3, 0.4, 0.5],
                "chargers_per_station": [1, 2],
                "elevator_cars": [1, 2],
            },
        }
    )
    cells = len(grid.cells())
    out: dict = {"cells": cells, "replications_per_cell": cell_replications, "runs": []}
    best = {1: float("inf"), 2: float("inf")}
    with tempfile.TemporaryDirectory() as tmp:
        # alternate 1 and 2 workers and keep the best time of each: other processes on the machine compete for the
        # cores, and the best of several runs is the least disturbed one
        for repeat in range(repeats):
            for workers in (1, 2):
                load = os.getloadavg()[0]
                control = raw_parallel_speedup()
                folder = Path(tmp) / f"w{workers}-{repeat}"
                summary = run_grid(grid, folder, n_workers=workers, progress=False)
                best[workers] = min(best[workers], summary.seconds)
                cells = load_results(folder).drop_duplicates("cell_id")
                out["runs"].append(
                    {
                        "workers": workers,
                        "seconds": round(summary.seconds, 2),
                        "load_1min_before": round(load, 2),
                        "control_two_processes_speedup": control["speedup"],
                        # share of the run in which the workers were computing cells (1.0 = never idle): shows
                        # whether a slow run was starved of CPU by other processes or waited on the scheduler
                        "worker_busy_share": round(cells["cell_seconds"].sum() / (workers * summary.seconds), 3),
                        "cell_cpu_seconds_total": round(cells["cell_cpu_seconds"].sum(), 2),
                    }
                )
    out["seconds_1_worker"] = round(best[1], 2)
    out["seconds_2_workers"] = round(best[2], 2)
    out["speedup"] = round(best[1] / best[2], 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--cells-replications", type=int, default=100,
                        help="replications per grid cell (cells of ~1 s keep scheduling overhead small)")
    parser.add_argument("--repeats", type=int, default=2, help="runs per worker count (best time kept)")
    parser.add_argument("--skip-grid", action="store_true")
    args = parser.parse_args()
    report = {
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "simulation": [
            replications_per_minute(args.replications, record_log=False),
            replications_per_minute(max(10, args.replications // 4), record_log=True),
        ],
    }
    print(json.dumps(report, indent=2), flush=True)
    if not args.skip_grid:
        report["control_two_processes"] = raw_parallel_speedup()
        print(json.dumps({"control_two_processes": report["control_two_processes"]}), flush=True)
        report["grid"] = grid_speedup(args.cells_replications, args.repeats)
        print(json.dumps(report["grid"], indent=2))


if __name__ == "__main__":
    main()
