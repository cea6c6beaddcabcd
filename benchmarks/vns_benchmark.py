"""Benchmark: our VNS vs PyVRP vs OR-Tools routing (guided local search) on Solomon; VNS on E-VRPTW; beta ablation.

Not part of the test run. Every solution, whichever solver produced it, is checked by the independent checker
(:func:`hospital_or.checker.check`) with real (double) distances; only checked solutions count.

Usage::

    python benchmarks/vns_benchmark.py solomon --time-limit 10 [--instances C101 R101 ...] [--solvers vns pyvrp ortools]
    python benchmarks/vns_benchmark.py evrptw --time-limit 60 [--instances c101_21 ...] [--station-relocate both]
        [--route-elimination 0.15]
    python benchmarks/vns_benchmark.py beta --instance instances/hospital_large.json --time-limit 60

PyVRP is the ``bench`` extra (``pip install pyvrp``). Competitors work on integers: travel times and distances
are scaled by 1000 and rounded **up** (so their feasible solutions stay feasible with real values), time windows
are scaled and rounded **down** for due times and up for ready times; the fleet objective is a fixed cost per vehicle
of 10^4 x the scale (hierarchical: vehicles first). All three solvers get the same wall-clock limit per instance.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from pathlib import Path

import numpy as np

from hospital_or.checker import check
from hospital_or.io import read_instance
from hospital_or.paths import REPO_ROOT, shared_instances_dir
from hospital_or.problem import Problem
from hospital_or.solution import Solution
from hospital_or.solve import solve
from solvers.stop import MaxRuntime
from solvers.vns import VNSParams

SCALE = 1000


def _ceil(v: float) -> int:
    return math.ceil(v * SCALE - 1e-9)


def _floor(v: float) -> int:
    return math.floor(v * SCALE + 1e-9)


def run_vns(problem: Problem, time_limit: float, seed: int,
            params: VNSParams | None = None) -> tuple[Solution | None, float, dict]:
    t = time.perf_counter()
    result = solve(problem, MaxRuntime(time_limit), seed, params=params)
    info = {"iterations": result.num_iterations, "moves": result.moves}
    return result.best, time.perf_counter() - t, info


def run_tabu(problem: Problem, time_limit: float, seed: int) -> tuple[Solution | None, float, dict]:
    """The stage-1 tabu search of Paper B (issue 5) through the same ``solve`` entry point."""
    t = time.perf_counter()
    result = solve(problem, MaxRuntime(time_limit), seed, algo="tabu")
    return result.best, time.perf_counter() - t, {"iterations": result.num_iterations}


def run_pyvrp(problem: Problem, time_limit: float, seed: int) -> tuple[Solution | None, float, dict]:
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime as PyMaxRuntime

    t = time.perf_counter()
    m = Model()
    d0 = problem.depot
    locs = [m.add_location(d0.x, d0.y)]
    depot = m.add_depot(locs[0], tw_early=_ceil(d0.ready), tw_late=_floor(d0.horizon))
    for r in problem.requests:
        loc = m.add_location(r.x, r.y)
        locs.append(loc)
        m.add_client(loc, delivery=round(r.demand), service_duration=_ceil(r.service),
                     tw_early=_ceil(r.ready), tw_late=_floor(r.due))
    f = problem.fleet
    m.add_vehicle_type(num_available=f.max_vehicles, capacity=round(f.capacity), start_depot=depot,
                       end_depot=depot, fixed_cost=10_000 * SCALE, tw_early=_ceil(d0.ready),
                       tw_late=_floor(d0.horizon))
    dist = problem.distance_matrix
    tt = problem.travel_time_matrix
    for i, a in enumerate(locs):
        for j, b in enumerate(locs):
            m.add_edge(a, b, _ceil(dist[i, j]), _ceil(tt[i, j]))
    res = m.solve(PyMaxRuntime(max(0.1, time_limit - (time.perf_counter() - t))), seed=seed, display=False)
    wall = time.perf_counter() - t
    if not res.best.is_feasible():
        return None, wall, {"iterations": res.num_iterations}
    routes = []
    for route in res.best.routes():
        routes.append([problem.requests[a.idx].id for a in route if a.is_client()])
    return Solution.from_routes(routes), wall, {"iterations": res.num_iterations}


def run_ortools(problem: Problem, time_limit: float, seed: int) -> tuple[Solution | None, float, dict]:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    t = time.perf_counter()
    n = problem.n_requests
    f = problem.fleet
    dist = problem.distance_matrix
    tt = problem.travel_time_matrix
    manager = pywrapcp.RoutingIndexManager(n + 1, f.max_vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    dist_i = [[_ceil(dist[i, j]) for j in range(n + 1)] for i in range(n + 1)]
    service = [0] + [_ceil(r.service) for r in problem.requests]
    time_i = [[_ceil(tt[i, j]) + service[i] for j in range(n + 1)] for i in range(n + 1)]

    def dist_cb(a, b):
        return dist_i[manager.IndexToNode(a)][manager.IndexToNode(b)]

    def time_cb(a, b):
        return time_i[manager.IndexToNode(a)][manager.IndexToNode(b)]

    dcb = routing.RegisterTransitCallback(dist_cb)
    tcb = routing.RegisterTransitCallback(time_cb)
    routing.SetArcCostEvaluatorOfAllVehicles(dcb)
    routing.SetFixedCostOfAllVehicles(10_000 * SCALE)
    horizon = _floor(problem.depot.horizon)
    routing.AddDimension(tcb, horizon, horizon, False, "Time")
    tdim = routing.GetDimensionOrDie("Time")
    for i, r in enumerate(problem.requests, start=1):
        tdim.CumulVar(manager.NodeToIndex(i)).SetRange(_ceil(r.ready), _floor(r.due))
    for v in range(f.max_vehicles):
        tdim.CumulVar(routing.Start(v)).SetRange(_ceil(problem.depot.ready), horizon)
        tdim.CumulVar(routing.End(v)).SetRange(_ceil(problem.depot.ready), horizon)
    demand = [0] + [round(r.demand) for r in problem.requests]
    ccb = routing.RegisterUnaryTransitCallback(lambda a: demand[manager.IndexToNode(a)])
    routing.AddDimensionWithVehicleCapacity(ccb, 0, [round(f.capacity)] * f.max_vehicles, True, "Load")
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    remaining = max(1, round(time_limit - (time.perf_counter() - t)))
    params.time_limit.FromSeconds(remaining)
    sol = routing.SolveWithParameters(params)
    wall = time.perf_counter() - t
    if sol is None:
        return None, wall, {}
    routes = []
    for v in range(f.max_vehicles):
        idx = routing.Start(v)
        route = []
        idx = sol.Value(routing.NextVar(idx))
        while not routing.IsEnd(idx):
            route.append(problem.requests[manager.IndexToNode(idx) - 1].id)
            idx = sol.Value(routing.NextVar(idx))
        if route:
            routes.append(route)
    return Solution.from_routes(routes), wall, {}


SOLVERS = {"vns": run_vns, "tabu": run_tabu, "pyvrp": run_pyvrp, "ortools": run_ortools}


def _bks(path: Path) -> dict[str, tuple[int, float]]:
    with open(path, newline="") as fh:
        return {row["instance"]: (int(row["vehicles"]), float(row["distance"])) for row in csv.DictReader(fh)}


def _row(solver, name, problem, sol, wall, info, bks):
    if sol is None:
        return {"solver": solver, "instance": name, "feasible": False, "vehicles": None, "distance": None,
                "bks_vehicles": bks[0], "gap_pct": None, "wall_s": wall, **info}
    rep = check(problem, sol)
    gap = 100.0 * (rep.distance / bks[1] - 1.0)
    return {"solver": solver, "instance": name, "feasible": rep.feasible, "vehicles": rep.vehicles,
            "distance": rep.distance, "bks_vehicles": bks[0], "gap_pct": gap, "wall_s": wall, **info}


def _print_header() -> None:
    print(f"{'instance':10s} {'solver':8s} {'ok':3s} {'veh':>4s} {'bks':>4s} {'distance':>10s} {'gap%':>7s} "
          f"{'wall':>6s} {'iters':>7s}")


def _print_rows(rows: list[dict]) -> None:
    for r in rows:
        dist = f"{r['distance']:.2f}" if r["distance"] is not None else "-"
        gap = f"{r['gap_pct']:.2f}" if r["gap_pct"] is not None else "-"
        print(f"{r['instance']:10s} {r['solver']:8s} {'yes' if r['feasible'] else 'NO':3s} "
              f"{r['vehicles'] if r['vehicles'] is not None else '-':>4} {r['bks_vehicles']:>4d} {dist:>10s} "
              f"{gap:>7s} {r['wall_s']:6.1f} {r.get('iterations', '-')!s:>7s}", flush=True)


def _totals(rows: list[dict], solvers: list[str]) -> None:
    print("\nTotals")
    by = {s: {r["instance"]: r for r in rows if r["solver"] == s} for s in solvers}
    names = sorted({r["instance"] for r in rows})
    for s in solvers:
        rs = [by[s][i] for i in names if i in by[s]]
        feas = [r for r in rs if r["feasible"]]
        match = [r for r in feas if r["vehicles"] == r["bks_vehicles"]]
        # fewer vehicles than the BKS is a better plan under the hierarchical objective (its distance gap is
        # not comparable and stays out of the mean)
        below = sum(1 for r in feas if r["vehicles"] < r["bks_vehicles"])
        veh = sum(r["vehicles"] for r in feas)
        mean_gap = np.mean([r["gap_pct"] for r in match]) if match else float("nan")
        print(f"  {s:8s} feasible {len(feas)}/{len(rs)}  BKS vehicles {len(match)}/{len(rs)}  "
              f"at or below BKS vehicles {len(match) + below}/{len(rs)}  "
              f"total vehicles {veh} (BKS {sum(r['bks_vehicles'] for r in feas)})  "
              f"mean gap (BKS-vehicle instances) {mean_gap:.2f}%  wall {sum(r['wall_s'] for r in rs):.0f}s")
    if "vns" in solvers:
        for s in [x for x in solvers if x != "vns"]:
            common = [i for i in names if i in by["vns"] and i in by[s]
                      and by["vns"][i]["feasible"] and by[s][i]["feasible"]
                      and by["vns"][i]["vehicles"] == by["vns"][i]["bks_vehicles"]
                      and by[s][i]["vehicles"] == by[s][i]["bks_vehicles"]]
            if common:
                g_v = np.mean([by["vns"][i]["gap_pct"] for i in common])
                g_s = np.mean([by[s][i]["gap_pct"] for i in common])
                print(f"  vns vs {s}: {len(common)} instances where both match BKS vehicles: mean gap vns "
                      f"{g_v:.2f}% vs {s} {g_s:.2f}% (difference {g_v - g_s:+.2f} pp)")


def bench_solomon(args) -> list[dict]:
    folder = shared_instances_dir() / "solomon"
    bks = _bks(folder / "bks_hierarchical.csv")
    names = args.instances or sorted(bks)
    rows = []
    _print_header()
    for name in names:
        problem = read_instance(folder / f"{name}.txt")
        for solver in args.solvers:
            if solver == "vns":
                sol, wall, info = run_vns(problem, args.time_limit, args.seed, _vns_params(args))
            else:
                sol, wall, info = SOLVERS[solver](problem, args.time_limit, args.seed)
            rows.append(_row(solver, name, problem, sol, wall, info, bks[name]))
            _print_rows(rows[-1:])
    _totals(rows, args.solvers)
    return rows


def _vns_params(args) -> VNSParams | None:
    """VNS parameters from ``--vns-config`` (TOML) and ``--station-relocate`` / ``--fleet-phase`` /
    ``--route-elimination`` overrides."""
    params = VNSParams.from_file(args.vns_config) if args.vns_config else VNSParams()
    if getattr(args, "station_relocate", None) is not None:
        params.station_relocate = args.station_relocate
    if getattr(args, "fleet_phase", None) is not None:
        params.fleet_phase = args.fleet_phase
    if getattr(args, "route_elimination", None) is not None:
        params.route_elimination = args.route_elimination
    params.__post_init__()
    return params


def bench_evrptw(args) -> list[dict]:
    folder = shared_instances_dir() / "evrptw"
    bks = _bks(folder / "bks_large.csv")
    names = args.instances or sorted(bks)
    rows = []
    _print_header()
    for name in names:
        problem = read_instance(folder / "large" / f"{name}.txt")
        sol, wall, info = run_vns(problem, args.time_limit, args.seed, _vns_params(args))
        rows.append(_row("vns", name, problem, sol, wall, info, bks[name]))
        _print_rows(rows[-1:])
    _totals(rows, ["vns"])
    return rows


def bench_beta(args) -> list[dict]:
    base = read_instance(args.instance)
    rows = []
    print(f"{'beta':>5s} {'ok':3s} {'AMRs':>4s} {'trips':>5s} {'distance':>10s} {'cost':>9s} {'MC on-time min':>14s} "
          f"{'MC mean':>8s} {'wall':>6s}")
    for beta in args.betas:
        problem = base.replace(stochastic=base.stochastic.__class__(
            base.stochastic.cv_travel, base.stochastic.cv_service, beta))
        sol, wall, info = run_vns(problem, args.time_limit, args.seed)
        if sol is None:
            rows.append({"beta": beta, "feasible": False, "wall_s": wall})
            print(f"{beta:5.2f} NO  (no feasible plan in {wall:.0f}s)")
            continue
        rep = check(problem, sol, monte_carlo=args.samples, seed=args.seed)
        mc = list(rep.on_time_monte_carlo.values())
        row = {"beta": beta, "feasible": rep.feasible, "amrs": rep.vehicles, "trips": rep.trips,
               "distance": rep.distance, "cost": rep.cost, "mc_min": min(mc), "mc_mean": float(np.mean(mc)),
               "wall_s": wall, **info}
        rows.append(row)
        print(f"{beta:5.2f} {'yes' if rep.feasible else 'NO':3s} {rep.vehicles:>4d} {rep.trips:>5d} "
              f"{rep.distance:10.1f} {rep.cost:9.2f} {min(mc):14.3f} {np.mean(mc):8.3f} {wall:6.1f}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("solomon")
    p.add_argument("--instances", nargs="*")
    p.add_argument("--solvers", nargs="+", default=["vns", "tabu", "pyvrp", "ortools"], choices=list(SOLVERS))
    p.add_argument("--time-limit", type=float, default=10.0)
    p.add_argument("--vns-config", type=Path, default=None, help="VNS parameters (TOML)")
    p = sub.add_parser("evrptw")
    p.add_argument("--instances", nargs="*")
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--vns-config", type=Path, default=None, help="VNS parameters (TOML)")
    p.add_argument("--station-relocate", choices=["off", "drop", "add", "both"], default=None)
    p.add_argument("--fleet-phase", type=int, default=None)
    p.add_argument("--route-elimination", type=float, default=None,
                   help="share of the run for route elimination (0: off)")
    p = sub.add_parser("beta")
    p.add_argument("--instance", default=str(REPO_ROOT / "instances" / "hospital_large.json"))
    p.add_argument("--betas", nargs="+", type=float, default=[0.8, 0.9, 0.95, 0.99])
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--samples", type=int, default=1000)
    for p in sub.choices.values():
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--csv", type=Path, default=None, help="also write the rows to this CSV file")
    args = parser.parse_args(argv)
    rows = {"solomon": bench_solomon, "evrptw": bench_evrptw, "beta": bench_beta}[args.what](args)
    if args.csv is not None and rows:
        keys = sorted({k for r in rows for k in r})
        with open(args.csv, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=keys)
            writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
