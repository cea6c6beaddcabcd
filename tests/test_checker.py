"""Hand-computed cases for the independent checker: every schedule rule and every violation kind.

Layouts are points on the x axis, so distances (and, at speed 1, travel times) are differences of coordinates.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from hospital_or import AMRPlan, Depot, Fleet, Problem, Request, Solution, Station, StochasticModel, Trip
from hospital_or.checker import check


def req(rid, x, ready=0.0, due=1000.0, service=0.0, demand=1.0, priority=3, reveal=0.0):
    return Request(rid, float(x), 0.0, demand, ready, due, service, priority=priority, reveal=reveal)


def problem(requests, stations=(), horizon=1000.0, **fleet):
    fleet.setdefault("capacity", 100.0)
    fleet.setdefault("max_vehicles", 5)
    extra = {k: fleet.pop(k) for k in ("lateness_weights", "rejection_costs", "stochastic") if k in fleet}
    return Problem(
        "line", Depot("D", 0.0, 0.0, 0.0, horizon), tuple(requests), Fleet(**fleet), tuple(stations), **extra
    )


def trips(*visits_per_trip, starts=None):
    starts = starts or [0.0] * len(visits_per_trip)
    return AMRPlan(tuple(Trip(tuple(v), s) for v, s in zip(visits_per_trip, starts, strict=True)))


def kinds(report):
    return sorted(v.kind for v in report.violations)


def visit(report, node, trip=0):
    return next(v for t in report.schedule for v in t.visits if v.node == node and t.trip == trip)


# ---------------------------------------------------------------------------------------------- schedule rules
def test_waiting_start_departure_and_return():
    p = problem([req("a", 10, ready=20, due=50, service=5), req("b", 20, service=3)])
    r = check(p, Solution.from_routes([["a", "b"]]))
    assert r.feasible and kinds(r) == []
    a, b = visit(r, "a"), visit(r, "b")
    assert (a.arrival, a.start, a.wait, a.departure) == (10, 20, 10, 25)
    assert (b.arrival, b.start, b.wait, b.departure) == (35, 35, 0, 38)
    closing = r.schedule[0].visits[-1]
    assert closing.kind == "depot" and closing.arrival == 58
    assert r.schedule[0].start == 0 and r.schedule[0].end == 58
    assert r.distance == pytest.approx(40)
    assert r.vehicles == 1 and r.trips == 1 and r.served == 2
    assert r.on_time_analytic == {"a": 1.0, "b": 1.0}


def test_load_on_board_is_delivered_along_the_trip():
    p = problem([req("a", 10, demand=4), req("b", 20, demand=6)], capacity=10)
    r = check(p, Solution.from_routes([["a", "b"]]))
    assert r.feasible
    assert r.schedule[0].load == 10
    assert [v.load for v in r.schedule[0].visits] == [10, 6, 0]


def test_earliest_start_delays_the_trip():
    p = problem([req("a", 10)])
    r = check(p, Solution((trips(["a"], starts=[100.0]),)))
    assert visit(r, "a").arrival == 110
    assert r.schedule[0].start == 100


def test_depot_ready_time_is_the_first_departure():
    p = Problem("late", Depot("D", 0, 0, 30.0, 1000.0), (req("a", 10),), Fleet(capacity=10, max_vehicles=1))
    r = check(p, Solution.from_routes([["a"]]))
    assert visit(r, "a").arrival == 40


def test_turnaround_between_trips():
    p = problem([req("a", 10, service=2), req("b", 5)], max_trips=2, depot_turnaround=7)
    r = check(p, Solution((trips(["a"], ["b"]),)))
    assert r.feasible
    assert r.schedule[0].end == 22
    assert r.schedule[1].start == 29  # 22 + 7
    assert visit(r, "b", trip=1).arrival == 34
    # earliest_start later than the turnaround wins
    r = check(p, Solution((trips(["a"], ["b"], starts=[0.0, 50.0]),)))
    assert r.schedule[1].start == 50


def battery_problem(**fleet):
    fleet = {
        "battery_capacity": 100.0,
        "energy_per_distance": 1.0,
        "recharge_rate": 0.5,
        "min_soc_fraction": 0.1,
        **fleet,
    }
    return problem(
        [req("near", 20, service=1), req("far", 40, service=1), req("x", 30)],
        stations=[Station("S", 30.0, 0.0)],
        **fleet,
    )


def test_station_recharge_time_and_state_of_charge():
    p = battery_problem()
    r = check(p, Solution.from_routes([["S", "far"]]))
    s, far = visit(r, "S"), visit(r, "far")
    assert kinds(r) == ["missing", "missing"]  # near and x are not served in this plan
    assert (s.arrival, s.soc_arrival, s.recharge_time, s.departure, s.soc_departure) == (30, 70, 15, 45, 100)
    assert (far.arrival, far.soc_arrival, far.departure) == (55, 90, 56)
    closing = r.schedule[0].visits[-1]
    assert closing.arrival == 96 and closing.soc_arrival == 50
    assert r.distance == pytest.approx(80)


def test_battery_violation_without_the_station():
    p = battery_problem(battery_capacity=70.0)  # min soc 7; out and back to 40 uses 80
    # far 40 -> soc 30, x 10 -> 20, near 10 -> 10, depot 20 -> -10 < 7: only the return violates
    r = check(p, Solution.from_routes([["far", "x", "near"]]))
    assert kinds(r) == ["battery"]
    assert r.violations[0].request is None and "depot" in r.violations[0].detail
    assert r.schedule[0].visits[-1].soc_arrival == -10
    # visiting the station on the way back repairs it
    r = check(p, Solution.from_routes([["near", "far", "S", "x"]]))
    assert r.feasible, r.violations


def test_battery_violation_names_the_request():
    # two trips without depot charging: the second starts with what is left
    p = battery_problem(max_trips=2)
    r = check(p, Solution((trips(["far"], ["x"]),)))
    # trip 1: soc 100 -> 60 at far -> 20 back; trip 2: 20 -> -10 at x (below 10), -40 back at the depot
    bad = [v for v in r.violations if v.kind == "battery"]
    assert [(v.request, v.trip) for v in bad] == [("x", 1), (None, 1)]
    assert visit(r, "x", trip=1).soc_arrival == -10


def test_depot_recharge_between_trips():
    p = battery_problem(max_trips=2, depot_charging=True, depot_turnaround=2)
    r = check(p, Solution((trips(["far"], ["x"]),)))
    assert kinds(r) == ["missing"]  # near is not served
    first_return = r.schedule[0].visits[-1]
    assert first_return.arrival == 81 and first_return.soc_arrival == 20
    assert first_return.recharge_time == 40  # 0.5 * (100 - 20)
    assert first_return.soc_departure == 100
    assert r.schedule[1].start == 81 + 2 + 40
    assert visit(r, "x", trip=1).soc_arrival == 70


def test_last_trip_has_no_depot_recharge():
    p = battery_problem(max_trips=2, depot_charging=True)
    r = check(p, Solution((trips(["far"], ["x"]),)))
    assert r.schedule[-1].visits[-1].recharge_time == 0


def test_horizon_violation():
    p = problem([req("a", 10, service=5), req("b", -10, service=5)], horizon=40.0)
    assert check(p, Solution.from_routes([["a"], ["b"]])).feasible
    r = check(p, Solution.from_routes([["a", "b"]]))  # 10 + 5 + 20 + 5 + 10 = 50 > 40
    assert kinds(r) == ["horizon"]
    assert r.violations[0].request is None and r.violations[0].amr == 0


def test_time_window_violation_names_the_request():
    p = problem([req("a", 10, service=10), req("b", 20, due=25)])
    assert check(p, Solution.from_routes([["b", "a"]])).feasible
    r = check(p, Solution.from_routes([["a", "b"]]))  # b starts at 30 > 25
    assert kinds(r) == ["time_window"]
    assert r.violations[0].request == "b"
    assert visit(r, "b").lateness == 5
    assert r.on_time_analytic["b"] == 0.0
    assert r.costs["lateness"] == 0  # hard windows: a violation, not a cost


def test_soft_windows_price_lateness_by_priority():
    reqs = [req("a", 10, service=10, priority=2), req("b", 20, due=25, priority=1)]
    p = problem(reqs, lateness_weights=(5.0, 2.0, 1.0))
    r = check(p, Solution.from_routes([["a", "b"]]))
    assert r.feasible
    assert r.costs["lateness"] == pytest.approx(5 * 5.0)


def test_capacity_violation():
    p = problem([req("a", 10, demand=6), req("b", 20, demand=6)], capacity=10)
    r = check(p, Solution.from_routes([["a", "b"]]))
    assert kinds(r) == ["capacity"]
    assert r.violations[0].trip == 0 and "12" in r.violations[0].detail
    assert check(p, Solution.from_routes([["a"], ["b"]])).feasible


def test_max_trips_and_fleet_size():
    p = problem([req("a", 10), req("b", 20), req("c", 30)], max_vehicles=1, max_trips=2)
    r = check(p, Solution((trips(["a"], ["b"], ["c"]),)))
    assert kinds(r) == ["max_trips"]
    r = check(p, Solution((trips(["a"], ["b"]), trips(["c"]))))
    assert kinds(r) == ["fleet_size"]
    # empty trips and AMRs without trips do not count
    r = check(p, Solution((trips(["a"], [], ["b", "c"]), AMRPlan(()))))
    assert r.feasible and r.vehicles == 1 and r.trips == 2


def test_missing_duplicate_unknown():
    p = problem([req("a", 10), req("b", 20), req("c", 30)], stations=[Station("S", 5.0, 0.0)])
    r = check(p, Solution.from_routes([["a", "a", "zz"], ["D"]]))
    assert kinds(r) == ["duplicate", "missing", "missing", "unknown_node", "unknown_node"]
    by_kind = {v.kind: v for v in r.violations}
    assert by_kind["duplicate"].request == "a"
    assert {v.request for v in r.violations if v.kind == "missing"} == {"b", "c"}
    # unknown nodes are skipped in the schedule
    assert [v.node for v in r.schedule[0].visits] == ["a", "a", "D"]
    # a station cannot be rejected
    p2 = p.replace(rejection_costs=(1.0, 1.0, 1.0))
    r = check(p2, Solution.from_routes([["a", "b", "c"]], rejected=["S"]))
    assert kinds(r) == ["unknown_node"]


def test_rejection_cost_and_rejection_not_allowed():
    reqs = [req("a", 10, priority=1), req("b", 20, priority=3)]
    p = problem(reqs)
    r = check(p, Solution.from_routes([["a"]], rejected=["b"]))
    assert kinds(r) == ["rejection_not_allowed"]
    assert r.violations[0].request == "b"
    p = problem(reqs, rejection_costs=(100.0, 50.0, 7.0))
    r = check(p, Solution.from_routes([["a"]], rejected=["b"]))
    assert r.feasible and r.rejected == 1 and r.served == 1
    assert r.costs["rejection"] == 7.0
    r = check(p, Solution.from_routes([["a", "b"]], rejected=["b"]))
    assert kinds(r) == ["duplicate"]


def test_cost_components():
    p = problem([req("a", 10), req("b", -20)], fixed_cost=100.0, cost_per_distance=2.0)
    r = check(p, Solution.from_routes([["a"], ["b"]]))
    assert r.costs == {"fleet": 200.0, "distance": 120.0, "lateness": 0.0, "rejection": 0.0}
    assert r.cost == 320.0


def test_reveal_times_only_when_asked():
    p = problem([req("a", 10, reveal=0.0), req("b", 20, reveal=50.0, due=500)])
    plan = Solution.from_routes([["a", "b"]])
    assert check(p, plan).feasible
    r = check(p, plan, respect_reveal_times=True)  # leaves a for b at 10 < 50
    assert kinds(r) == ["reveal"] and r.violations[0].request == "b"
    assert check(p, Solution.from_routes([["a"], ["b"]]), respect_reveal_times=True).violations[0].request == "b"
    dispatched = Solution((trips(["a"]), trips(["b"], starts=[50.0])))
    assert check(p, dispatched, respect_reveal_times=True).feasible


def test_report_to_dict_contract():
    p = problem([req("a", 10, demand=6), req("b", 20, demand=6)], capacity=10)
    d = check(p, Solution.from_routes([["a", "b"]])).to_dict(schedule=True)
    assert {"feasible", "vehicles", "distance", "cost", "violations"} <= set(d)
    assert d["feasible"] is False and d["vehicles"] == 1 and d["distance"] == pytest.approx(40)
    assert d["violations"][0]["kind"] == "capacity" and "request" in d["violations"][0]
    assert len(d["schedule"]) == 3


# ---------------------------------------------------------------------------------------------- performance
def _random_problem(n: int, seed: int, **stochastic) -> tuple[Problem, Solution]:
    rng = np.random.default_rng(seed)
    reqs = [
        Request(f"r{i}", float(x), float(y), 1.0, 0.0, 5000.0, 5.0)
        for i, (x, y) in enumerate(rng.uniform(0, 100, size=(n, 2)))
    ]
    model = StochasticModel(**stochastic) if stochastic else StochasticModel()
    p = Problem(
        "rand", Depot("D", 50, 50, 0, 10000), tuple(reqs), Fleet(capacity=30, max_vehicles=10), stochastic=model
    )
    ids = [r.id for r in reqs]
    return p, Solution.from_routes([ids[i : i + 25] for i in range(0, n, 25)])


def test_deterministic_check_is_fast():
    p, s = _random_problem(100, 1)
    check(p, s)
    start = time.perf_counter()
    for _ in range(20):
        r = check(p, s)
    per_check = (time.perf_counter() - start) / 20
    assert r.feasible
    assert per_check < 0.010, f"{per_check * 1000:.2f} ms per 100-request check"


def test_monte_carlo_is_fast():
    p, s = _random_problem(100, 2, cv_travel=0.2, cv_service=0.2)
    start = time.perf_counter()
    r = check(p, s, monte_carlo=1000, seed=3)
    assert time.perf_counter() - start < 0.5
    assert len(r.on_time_monte_carlo) == 100


def test_station_distance_counts():
    p = battery_problem()
    r = check(p, Solution.from_routes([["near", "far", "x"]]))
    assert r.distance == pytest.approx(80) and math.isclose(r.costs["distance"], 80)
