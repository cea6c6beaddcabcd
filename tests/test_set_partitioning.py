"""The trip pool and its set-partitioning recombination (solvers.set_partitioning), alone and inside the VNS."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from _engine_helpers import random_problem

from hospital_or.checker import check
from hospital_or.io import read_instance
from hospital_or.solve import solve
from solvers.set_partitioning import TripPool
from solvers.stop import MaxIterations
from solvers.vns import VNSParams, vns


def _brute_force(columns: list[tuple[frozenset[int], float]], n: int, max_cols: int, fixed: float) -> float:
    """Least variable cost (cost minus ``fixed`` per column) of an exact cover of 1..n by at most ``max_cols``
    columns, by enumerating column subsets."""
    best = math.inf
    for k in range(1, max_cols + 1):
        for combo in itertools.combinations(columns, k):
            covered = [v for key, _ in combo for v in key]
            if len(covered) == n and set(covered) == set(range(1, n + 1)):
                best = min(best, sum(c - fixed for _, c in combo))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_recombine_finds_the_cheapest_partition(seed):
    """Why: under the fleet bound the MIP must return the partition of the pooled trips with the least variable
    cost (checked by enumeration), never one worse than the incumbent."""
    rng = np.random.default_rng(seed)
    n, fixed = 7, 1000.0
    pool = TripPool(n)
    singletons = [[v] for v in range(1, n + 1)]
    for t in singletons:
        pool.add(t, fixed + float(rng.uniform(20, 40)))
    for _ in range(25):
        size = int(rng.integers(2, 5))
        trip = [int(v) for v in rng.choice(np.arange(1, n + 1), size=size, replace=False)]
        trip.insert(int(rng.integers(0, size + 1)), n + 1)  # a charging station: not a request, not covered
        pool.add(trip, fixed + float(rng.uniform(20, 40)) * size ** 0.7)
    columns = [(key, cost) for key, (cost, _) in pool._trips.items()]
    for max_vehicles in (n, 4, 3):
        res = pool.recombine(max_vehicles, fixed_cost=fixed)
        expected = _brute_force(columns, n, max_vehicles, fixed)
        if math.isinf(expected):
            assert res.trips is None
            continue
        assert res.cost - fixed * len(res.trips) == pytest.approx(expected, abs=1e-6)
        assert len(res.trips) <= max_vehicles
        served = sorted(v for t in res.trips for v in t if v <= n)
        assert served == list(range(1, n + 1))
    # with the optimum as incumbent, nothing better exists: no plan is returned
    best = pool.recombine(n, fixed_cost=fixed)
    again = pool.recombine(n, incumbent=best.trips, fixed_cost=fixed)
    assert again.trips is None and again.cost == pytest.approx(best.cost)


def test_pool_keeps_the_cheapest_trip_per_request_set_and_trims():
    """Why: one column per set of requests (the cheapest order seen); trimming drops the worst cost per request
    but never the incumbent's trips."""
    pool = TripPool(4, max_columns=2)
    assert pool.add([1, 2], 10.0)
    assert not pool.add([2, 1], 11.0)  # same set, dearer
    assert pool.add([2, 1], 9.0)  # same set, cheaper: replaces
    assert not pool.add([5], 1.0)  # a station only
    pool.add([3], 100.0)
    pool.add([4], 50.0)
    assert len(pool) == 3 and pool.offered == 6
    pool.trim(keep=[[3]])
    assert len(pool) == 2
    assert frozenset({3}) in pool._trips and frozenset({1, 2}) in pool._trips
    assert pool._trips[frozenset({1, 2})] == (9.0, (2, 1))
    with pytest.raises(ValueError):
        TripPool(3, max_columns=0)


def test_vns_with_recombination_is_feasible_and_reproducible():
    """Why: plans that the recombination hands to the VNS must stay checker-feasible and the run reproducible
    under an iteration limit."""
    params = VNSParams(set_partitioning=0.2, route_elimination=0.0)
    runs = 0
    for seed in range(4):
        problem = random_problem(seed, n=9, battery=bool(seed % 2))
        runs += vns(problem.to_arrays(), MaxIterations(60), np.random.default_rng(seed), params).recombinations
        a = solve(problem, MaxIterations(60), seed=seed, params=params)
        b = solve(problem, MaxIterations(60), seed=seed, params=params)
        assert a.best is not None and a.best == b.best and a.stats == b.stats
        report = check(problem, a.best)
        assert report.feasible, [v.detail for v in report.violations]
        assert report.cost == pytest.approx(a.cost, abs=1e-6)
    assert runs >= 4  # at least one solve per run (fewer than the 4 points: unchanged pools are skipped)


def test_recombination_on_solomon_improves_and_is_feasible(shared_dir):
    """Why: on a real instance the recombination must find better plans than the VNS had (R101, 150 iterations:
    2 of 3 solves improve), and the final plan must pass the independent checker."""
    problem = read_instance(shared_dir / "solomon" / "R101.txt")
    params = VNSParams(set_partitioning=0.25)
    out = vns(problem.to_arrays(), MaxIterations(150), np.random.default_rng(1), params)
    assert out.recombinations_improved > 0
    result = solve(problem, MaxIterations(150), seed=1, params=params)
    report = check(problem, result.best)
    assert report.feasible, [v.detail for v in report.violations[:3]]
    assert report.cost == pytest.approx(result.cost, abs=1e-6)
