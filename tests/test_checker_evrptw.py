"""The checker as the only oracle of an exact search reproduces proven E-VRPTW optima (Schneider et al. 2014).

For a 5-customer E-VRPTW instance, every route (customer order plus up to three station visits) is enumerated
depth-first with the checker deciding feasibility and distance; the best plan is then assembled by an exact set
partition over customer subsets (vehicles first, then distance). If the checker were too permissive (battery,
recharge time, time windows, horizon) the search would beat CPLEX's proven optimum; if it were too strict it would
miss it. Both would fail this test.

Pruning is sound because appending a node never changes the times, loads or states of charge of earlier visits:
a prefix with a late request, an overload or a battery deficit before its final return cannot be repaired.
"""

from __future__ import annotations

import csv
import functools

import pytest

from hospital_or import Problem, Solution
from hospital_or.checker import TOLERANCE, check
from hospital_or.io import read_instance

pytestmark = pytest.mark.needs_shared

MAX_STATION_VISITS = 3


def _best_routes(problem: Problem) -> dict[int, tuple[float, tuple[str, ...]]]:
    """Shortest feasible route per customer subset (bit mask over ``problem.requests``)."""
    customers = [r.id for r in problem.requests]
    stations = [s.id for s in problem.stations]
    bit = {c: 1 << i for i, c in enumerate(customers)}
    min_soc = problem.fleet.min_soc_fraction * problem.fleet.battery_capacity
    best: dict[int, tuple[float, tuple[str, ...]]] = {}

    def extend(route: list[str], mask: int, station_visits: int) -> None:
        report = check(problem, Solution.from_routes([route]))
        broken = {v.kind for v in report.violations} - {"missing", "battery", "horizon"}
        visits = report.schedule[0].visits
        deficit_before_return = any(v.soc_arrival < min_soc - TOLERANCE for v in visits[:-1])
        if broken or deficit_before_return:
            return
        complete = mask and not ({v.kind for v in report.violations} - {"missing"})
        if complete and report.distance < best.get(mask, (float("inf"),))[0]:
            best[mask] = (report.distance, tuple(route))
        for c in customers:
            if not mask & bit[c]:
                extend([*route, c], mask | bit[c], station_visits)
        if station_visits < MAX_STATION_VISITS:
            for s in stations:
                if route[-1] != s:
                    extend([*route, s], mask, station_visits + 1)

    for c in customers:
        extend([c], bit[c], 0)
    for s in stations:
        extend([s], 0, 1)
    return best


def _optimal_plan(problem: Problem) -> tuple[int, float, tuple[tuple[str, ...], ...]]:
    best = _best_routes(problem)

    @functools.cache
    def partition(mask: int) -> tuple[int, float, tuple[tuple[str, ...], ...]]:
        if mask == 0:
            return 0, 0.0, ()
        lowest = mask & -mask
        choice = (10**9, 0.0, ())
        subset = mask
        while subset:
            if subset & lowest and subset in best:
                vehicles, distance, routes = partition(mask ^ subset)
                candidate = (vehicles + 1, distance + best[subset][0], (*routes, best[subset][1]))
                choice = min(choice, candidate, key=lambda c: c[:2])
            subset = (subset - 1) & mask
        return choice

    return partition((1 << problem.n_requests) - 1)


@pytest.mark.parametrize("name", ["c101C5", "c103C5", "r104C5", "r105C5", "rc105C5", "rc108C5"])
def test_exact_search_with_the_checker_finds_the_proven_optimum(shared_dir, name):
    folder = shared_dir / "evrptw"
    with open(folder / "bks_small.csv", newline="") as handle:
        row = {r["instance"]: r for r in csv.DictReader(handle)}[name]
    assert row["cplex_proven_optimal"] == "True"
    problem = read_instance(folder / "small" / f"{name}.txt")
    vehicles, distance, routes = _optimal_plan(problem)
    # the table's BKS equals the CPLEX optimum (0.00 % gap); its note explains two transcription ambiguities
    assert vehicles == int(row["vehicles"])
    assert distance == pytest.approx(float(row["distance"]), abs=0.01)
    report = check(problem, Solution.from_routes(routes))
    assert report.feasible and report.vehicles == vehicles
    assert any(v.kind == "station" for t in report.schedule for v in t.visits)  # the batteries matter
