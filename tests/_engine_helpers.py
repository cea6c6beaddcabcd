"""Random small problems and plans for the engine and VNS tests."""

from __future__ import annotations

import math

import numpy as np

from hospital_or import Depot, Fleet, Problem, Request, Station, StochasticModel


def random_problem(
    seed: int,
    *,
    stochastic: bool = False,
    battery: bool = False,
    soft: bool = False,
    max_trips: int = 1,
    n: int | None = None,
    depot_charging: bool = False,
) -> Problem:
    """A random problem with 3-9 requests (why: small enough for exhaustive checks, rich enough for every move)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 10)) if n is None else n
    requests = []
    for i in range(n):
        ready = float(rng.uniform(0, 100))
        requests.append(Request(
            f"r{i}", float(rng.uniform(0, 50)), float(rng.uniform(0, 50)), float(rng.integers(1, 10)),
            ready, ready + float(rng.uniform(40, 200)), 5.0, priority=int(rng.integers(1, 4)),
        ))
    stations = [Station(f"s{i}", float(rng.uniform(0, 50)), float(rng.uniform(0, 50))) for i in range(3)]
    fleet = Fleet(
        capacity=20, max_vehicles=4, max_trips=max_trips, fixed_cost=100,
        battery_capacity=90 if battery else math.inf, energy_per_distance=1.0, recharge_rate=0.5,
        min_soc_fraction=0.1, depot_turnaround=3.0, depot_charging=depot_charging,
    )
    return Problem(
        "random", Depot("d", 25, 25, 0, 2000), requests, fleet, stations=stations if battery else (),
        stochastic=StochasticModel(0.3 if stochastic else 0.0, 0.2 if stochastic else 0.0, 0.9),
        lateness_weights=(3.0, 2.0, 1.0) if soft else None,
    )


def random_trips(problem: Problem, rng: np.random.Generator, n_trips: int = 3,
                 station_share: float = 0.5) -> list[list[int]]:
    """Random trips (node indices) covering every request once, with some station visits."""
    n, m = problem.n_requests, problem.n_stations
    nodes = [int(v) for v in rng.permutation(np.arange(1, n + 1))]
    for s in range(n + 1, n + m + 1):
        if rng.random() < station_share:
            nodes.insert(int(rng.integers(0, len(nodes) + 1)), s)
    k = min(n_trips, len(nodes))
    cuts = sorted(int(c) for c in rng.choice(np.arange(1, len(nodes)), size=k - 1, replace=False))
    bounds = [0, *cuts, len(nodes)]
    return [nodes[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]
