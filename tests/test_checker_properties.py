"""Property tests of the checker on random problems and random (often broken) plans.

The invariants restate the semantics record by record, so a bookkeeping error (wrong predecessor after a skipped
visit, a trip chained to the wrong return, a load counted twice) shows up as a mismatch.
"""

from __future__ import annotations

import math
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from hospital_or import AMRPlan, Depot, Fleet, Problem, Request, Solution, Station, Trip
from hospital_or.checker import TOLERANCE, check
from hospital_or.report import VIOLATION_KINDS


@st.composite
def cases(draw):
    n = draw(st.integers(1, 7))
    coords = st.floats(-50, 50, allow_nan=False)
    requests = []
    for i in range(n):
        x, y = draw(coords), draw(coords)
        ready = draw(st.floats(0, 100))
        width = draw(st.floats(0, 300))
        requests.append(
            Request(
                f"r{i}",
                x,
                y,
                draw(st.floats(0, 5)),
                ready,
                max(ready, math.hypot(x, y)) + width,
                draw(st.floats(0, 10)),
                priority=draw(st.integers(1, 3)),
            )
        )
    battery = draw(st.booleans())
    vehicles, trips_per_amr = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    total = sum(r.demand for r in requests)
    # the smallest capacity the problem accepts, times a slack: many plans overload a trip
    least = max(total / (vehicles * trips_per_amr), max(r.demand for r in requests), 0.1)
    fleet = Fleet(
        capacity=least * draw(st.floats(1.0, 2.0)),
        max_vehicles=vehicles,
        max_trips=trips_per_amr,
        battery_capacity=400.0 if battery else math.inf,
        energy_per_distance=1.0 if battery else 0.0,
        recharge_rate=draw(st.floats(0, 1)),
        min_soc_fraction=0.1 if battery else 0.0,
        depot_turnaround=draw(st.floats(0, 5)),
        depot_charging=draw(st.booleans()),
    )
    problem = Problem(
        "prop",
        Depot("D", 0, 0, 0, 2000),
        tuple(requests),
        fleet,
        stations=(Station("S", 10.0, 10.0),),
        lateness_weights=draw(st.none() | st.just((3.0, 2.0, 1.0))),
        rejection_costs=draw(st.none() | st.just((9.0, 5.0, 1.0))),
    )
    pool = [r.id for r in requests] + ["S", "ghost"]
    amrs = []
    for _ in range(draw(st.integers(0, 3))):
        trips = []
        for _ in range(draw(st.integers(0, 3))):
            visits = draw(st.lists(st.sampled_from(pool), max_size=5))
            trips.append(Trip(tuple(visits), draw(st.sampled_from([0.0, 50.0]))))
        amrs.append(AMRPlan(tuple(trips)))
    rejected = draw(st.lists(st.sampled_from(pool), max_size=2))
    return problem, Solution(tuple(amrs), tuple(rejected))


@given(cases())
def test_schedule_follows_the_rules(case):
    problem, plan = case
    report = check(problem, plan)
    tol = 1e-9
    assert report.feasible == (not report.violations)
    assert all(v.kind in VIOLATION_KINDS for v in report.violations)
    t = problem.travel_time_matrix
    d = problem.distance_matrix
    index = problem.node_index
    total = 0.0
    late = set()
    for trip in report.schedule:
        prev, clock = 0, trip.start
        assert trip.load == sum(v.load for v in trip.visits[:1])
        for v in trip.visits:
            j = index[v.node]
            total += d[prev, j]
            assert abs(v.arrival - (clock + t[prev, j])) < tol
            if v.kind == "request":
                r = problem.request(v.node)
                assert v.start == max(v.arrival, r.ready) and v.wait == v.start - v.arrival
                assert abs(v.departure - (v.start + r.service)) < tol
                if v.start > r.due + TOLERANCE:
                    late.add((trip.amr, trip.trip, v.node))
            elif v.kind == "station":
                assert v.departure == v.arrival + v.recharge_time and v.soc_departure == problem.fleet.battery_capacity
            clock, prev = v.departure, j
        assert trip.visits[-1].kind == "depot" and trip.end == trip.visits[-1].arrival
    assert abs(total - report.distance) < 1e-6
    windows = {(v.amr, v.trip, v.request) for v in report.violations if v.kind == "time_window"}
    assert windows == (late if problem.hard_time_windows else set())
    overloaded = {(tr.amr, tr.trip) for tr in report.schedule if tr.load > problem.fleet.capacity + TOLERANCE}
    assert {(v.amr, v.trip) for v in report.violations if v.kind == "capacity"} == overloaded
    assert math.isclose(report.cost, sum(report.costs.values()))
    served = Counter(node for a in plan.amrs for tr in a.trips for node in tr.visits if node.startswith("r"))
    missing = {v.request for v in report.violations if v.kind == "missing"}
    assert missing == {r.id for r in problem.requests if not served[r.id] and r.id not in plan.rejected}
    assert report.vehicles == plan.num_vehicles and report.trips == plan.num_trips


@given(cases())
def test_renumbering_amrs_changes_nothing_but_labels(case):
    problem, plan = case
    a = check(problem, plan)
    b = check(problem, plan.replace(amrs=tuple(reversed(plan.amrs))))
    assert a.feasible == b.feasible
    assert math.isclose(a.distance, b.distance, abs_tol=1e-9) and math.isclose(a.cost, b.cost, abs_tol=1e-9)
    assert Counter(v.kind for v in a.violations) == Counter(v.kind for v in b.violations)
