"""SimPy simulator: cross-checks against the independent checker, resources, policies, determinism, statistics."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest

from hospital_or.checker import check
from hospital_or.problem import Depot, Elevator, Fleet, Problem, Request, Station, StochasticModel
from hospital_or.simulation import (
    BasePolicy,
    Decision,
    PendingPlan,
    PolicyError,
    SimulationConfig,
    SimulationModel,
    nearest_neighbour_plan,
    replicate,
    replication_rng,
    simulate,
    summarise,
    synthetic_day,
    t_quantile,
)
from hospital_or.solution import AMRPlan, Solution, Trip

NO_QUEUE = SimulationConfig(chargers_per_station=None, elevator_cars=None)


def _solomon(shared_dir, name):
    from hospital_or.io import read_instance, read_solution

    problem = read_instance(shared_dir / "solomon" / f"{name}.txt")
    plan = read_solution(shared_dir / "solomon" / "solutions" / "hierarchical" / f"{name}.sol", problem)
    return problem, plan


def _max_schedule_gap(problem, plan, result) -> float:
    """Largest difference between the simulated and the checker's arrival/start/departure times."""
    report = check(problem, plan)
    assert report.feasible
    expected = {}
    for trip in report.schedule:
        for v in trip.visits:
            key = v.node if v.kind == "request" else (v.amr, v.trip, v.position, v.node)
            expected[key] = v
    gap = 0.0
    assert len(result.visits) == sum(len(t.visits) for t in report.schedule)
    for row in result.visits.itertuples():
        key = row.node if row.kind == "request" else (row.amr, row.trip, row.position, row.node)
        v = expected[key]
        gap = max(gap, abs(v.arrival - row.arrival), abs(v.start - row.start))
        if row.kind != "depot":  # the checker recharges at the depot only before a next trip; the end of a
            gap = max(gap, abs(v.departure - row.departure))  # trip is checked by the next trip's arrivals
    return gap


def test_zero_variance_equals_checker_on_all_solomon_bks(shared_dir):
    """Deterministic times and no queueing: the simulated schedule is the checker's schedule (56 BKS plans)."""
    names = sorted(p.stem for p in (shared_dir / "solomon").glob("*.txt"))
    assert len(names) == 56
    for name in names:
        problem, plan = _solomon(shared_dir, name)
        result = simulate(problem, plan, rng=np.random.default_rng(0), config=NO_QUEUE)
        assert _max_schedule_gap(problem, plan, result) < 1e-6, name
        k = result.kpis
        assert k["served"] == problem.n_requests and k["on_time_rate"] == 1.0
        assert math.isclose(k["distance"], check(problem, plan).distance, abs_tol=1e-6)
        assert k["amrs_used"] == plan.num_vehicles


def test_on_time_rates_agree_with_checker_monte_carlo(shared_dir):
    """With variance, per-request on-time rates match the checker's Monte Carlo estimate within sampling error."""
    problem, plan = _solomon(shared_dir, "R101")
    problem = problem.replace(stochastic=StochasticModel(cv_travel=0.3, cv_service=0.3, beta=0.9))
    reps, samples = 300, 2000
    model = SimulationModel(problem)
    hits = np.zeros(problem.n_nodes)
    for r in range(reps):
        result = simulate(
            model, plan, rng=replication_rng(11, r), config=SimulationConfig(None, None, record_log=False)
        )
        for row in result.visit_rows:
            if row[4] == "request":
                hits[problem.node_index[row[3]]] += row[10]
    simulated = hits[1 : problem.n_requests + 1] / reps
    report = check(problem, plan, monte_carlo=samples, seed=5)
    mc = np.array([report.on_time_monte_carlo[r.id] for r in problem.requests])
    assert 0.2 < mc.mean() < 0.99  # the comparison is not trivial: many requests are sometimes late
    pooled = np.clip((simulated * reps + mc * samples) / (reps + samples), 1e-3, 1 - 1e-3)
    se = np.sqrt(pooled * (1 - pooled) * (1 / reps + 1 / samples))
    z = np.abs(simulated - mc) / se
    assert z.max() < 4.5, (z.argmax(), simulated[z.argmax()], mc[z.argmax()])
    # the mean over requests averages 100 estimates: much tighter
    assert abs(simulated.mean() - mc.mean()) < 3 * np.sqrt(np.mean(se**2) / len(se)) * 3


def test_on_time_rates_agree_with_checker_monte_carlo_with_elevator():
    """Same cross-check in a building: random elevator waits, travel and service noise, single-trip AMRs."""
    from dataclasses import replace

    problem = synthetic_day(40, 40, rng=np.random.default_rng(8), floors=4, battery=False, cv_travel=0.3)
    problem = problem.replace(fleet=replace(problem.fleet, max_trips=1))
    plan = nearest_neighbour_plan(problem)
    assert all(len(a.trips) == 1 for a in plan.amrs)
    # tighten every due time to just after the planned (mean) arrival so that lateness is a real risk
    arrival = {v.node: v.arrival for t in check(problem, plan).schedule for v in t.visits if v.kind == "request"}
    margin = np.random.default_rng(1).uniform(-0.5, 2.0, problem.n_requests)
    problem = problem.replace(requests=[
        replace(r, due=max(r.ready, arrival[r.id] + float(d))) for r, d in zip(problem.requests, margin, strict=True)
    ])  # fmt: skip
    reps, samples = 300, 2000
    model = SimulationModel(problem)
    hits = np.zeros(problem.n_nodes)
    for r in range(reps):
        result = simulate(model, plan, rng=replication_rng(3, r), config=SimulationConfig(None, None, record_log=False))
        for row in result.visit_rows:
            if row[4] == "request":
                hits[problem.node_index[row[3]]] += row[10]
    simulated = hits[1 : problem.n_requests + 1] / reps
    report = check(problem, plan, monte_carlo=samples, seed=4)
    mc = np.array([report.on_time_monte_carlo[r.id] for r in problem.requests])
    assert mc.min() < 0.9  # some requests are at risk
    pooled = np.clip((simulated * reps + mc * samples) / (reps + samples), 1e-3, 1 - 1e-3)
    se = np.sqrt(pooled * (1 - pooled) * (1 / reps + 1 / samples))
    assert (np.abs(simulated - mc) / se).max() < 4.5


def _tower(cars_floor=(1, 1), battery=False, stations=()):
    """Two requests on upper floors of a building with one elevator shaft at (0, 0)."""
    depot = Depot("D", 0.0, 0.0, 0.0, 1000.0, floor=0)
    requests = [
        Request("a", 10.0, 0.0, 1.0, 0.0, 500.0, 5.0, priority=1, floor=cars_floor[0]),
        Request("b", 0.0, 10.0, 1.0, 0.0, 500.0, 5.0, priority=2, floor=cars_floor[1]),
    ]
    fleet = Fleet(
        capacity=5.0,
        max_vehicles=2,
        max_trips=3,
        battery_capacity=100.0 if battery else math.inf,
        energy_per_distance=1.0 if battery else 0.0,
        recharge_rate=0.5 if battery else 0.0,
        min_soc_fraction=0.1 if battery else 0.0,
    )
    return Problem(
        "tower",
        depot,
        tuple(requests),
        fleet,
        stations=tuple(stations),
        elevator=Elevator(0.0, 0.0, ride_fixed=3.0, ride_per_floor=1.0, wait_max=0.0),
    )


def test_elevator_is_a_shared_resource():
    """Two AMRs changing floors at the same time: one queues for the single car; unlimited cars = checker."""
    problem = _tower()
    plan = Solution((AMRPlan((Trip(("a",)),)), AMRPlan((Trip(("b",)),))))
    free = simulate(problem, plan, rng=np.random.default_rng(1), config=NO_QUEUE)
    assert free.kpis["elevator_queue_time"] == 0.0
    assert _max_schedule_gap(problem, plan, free) < 1e-9
    one_car = simulate(problem, plan, rng=np.random.default_rng(1), config=SimulationConfig(elevator_cars=1))
    ride = 3.0 + 1.0  # ride_fixed + 1 floor
    assert one_car.kpis["elevator_queue_time"] == pytest.approx(ride)
    assert (one_car.events["event"] == "elevator").sum() == 4  # up and down for each AMR
    late = one_car.visits.set_index("node")
    assert late.loc["b", "arrival"] == pytest.approx(free.visits.set_index("node").loc["b", "arrival"] + ride)


def test_chargers_queue_and_battery_detour_is_recorded():
    """A trip the battery cannot finish detours to the station (a deviation); two AMRs queue for one charger."""
    station = Station("S", 5.0, 0.0, floor=0)
    depot = Depot("D", 0.0, 0.0, 0.0, 10_000.0)
    requests = [Request("far1", 40.0, 0.0, 1.0, 0.0, 5000.0, 1.0), Request("far2", 40.0, 0.0, 1.0, 0.0, 5000.0, 1.0)]
    fleet = Fleet(
        capacity=5.0,
        max_vehicles=2,
        battery_capacity=100.0,
        energy_per_distance=1.2,
        recharge_rate=0.5,
        min_soc_fraction=0.1,
    )
    problem = Problem("battery", depot, tuple(requests), fleet, stations=(station,))
    # Going straight there and back needs 96 energy > 90 usable: each AMR must stop at S on the way home.
    direct = Solution((AMRPlan((Trip(("far1",)),)), AMRPlan((Trip(("far2",)),))))
    assert not check(problem, direct).feasible
    result = simulate(problem, direct, rng=np.random.default_rng(0), config=SimulationConfig(chargers_per_station=1))
    k = result.kpis
    assert k["charging_detours"] == 2 and k["battery_violations"] == 0
    assert (result.events["event"] == "detour").sum() == 2
    stations = result.visits[result.visits["kind"] == "station"]
    assert stations["detour"].all() and len(stations) == 2
    # both AMRs reach S at nearly the same time: the second waits for the first to finish charging
    assert k["charging_queue_time"] > 0
    unlimited = simulate(problem, direct, rng=np.random.default_rng(0), config=NO_QUEUE)
    assert unlimited.kpis["charging_queue_time"] == 0.0
    # the repaired plan (station planned) is feasible: no detour, and the schedule equals the checker's
    planned = Solution((AMRPlan((Trip(("far1", "S")),)), AMRPlan((Trip(("far2", "S")),))))
    assert check(problem, planned).feasible
    ok = simulate(problem, planned, rng=np.random.default_rng(0), config=NO_QUEUE)
    assert ok.kpis["charging_detours"] == 0
    assert _max_schedule_gap(problem, planned, ok) < 1e-9


def _dynamic_day():
    return synthetic_day(40, 3, rng=np.random.default_rng(4), floors=3, dynamism=0.5)


def test_same_seed_same_kpis_and_event_log():
    problem = _dynamic_day()
    plan = nearest_neighbour_plan(problem.replace(requests=[r for r in problem.requests if r.reveal == 0]))
    runs = [
        simulate(problem, plan, "nearest-idle", rng=replication_rng(9, 3), config=SimulationConfig()) for _ in range(2)
    ]
    assert runs[0].kpis == runs[1].kpis
    pd.testing.assert_frame_equal(runs[0].events, runs[1].events)
    pd.testing.assert_frame_equal(runs[0].visits, runs[1].visits)
    assert set(runs[0].events["event"]) >= {"reveal", "trip_start", "arrive", "service_start", "trip_end"}
    other = simulate(problem, plan, "nearest-idle", rng=replication_rng(9, 4), config=SimulationConfig())
    assert other.kpis["makespan"] != runs[0].kpis["makespan"]


def test_static_rejects_unplanned_and_nearest_idle_dispatches_them():
    problem = _dynamic_day()
    known = [r for r in problem.requests if r.reveal == 0]
    late = {r.id for r in problem.requests if r.reveal > 0}
    assert late
    plan = nearest_neighbour_plan(problem.replace(requests=known))
    static = simulate(problem, plan, "static", rng=replication_rng(1, 0))
    assert static.kpis["rejected"] == len(late) and static.kpis["served"] == len(known)
    dynamic = simulate(problem, plan, "nearest-idle", rng=replication_rng(1, 0))
    served = set(dynamic.visits.loc[dynamic.visits["kind"] == "request", "node"])
    assert served & late  # some dynamic requests are served
    assert dynamic.kpis["served"] + dynamic.kpis["rejected"] == problem.n_requests
    # no AMR heads for a request before it is revealed
    rows = dynamic.events
    for rid in served & late:
        reveal = problem.request(rid).reveal
        assert rows.loc[(rows["event"] == "arrive") & (rows["node"] == rid), "time"].iloc[0] >= reveal


def test_planned_request_waits_for_its_reveal():
    problem = _tower()
    problem = problem.replace(requests=[problem.requests[0], dataclasses.replace(problem.requests[1], reveal=200.0)])
    plan = Solution((AMRPlan((Trip(("a", "b")),)),))
    result = simulate(problem, plan, rng=np.random.default_rng(0), config=NO_QUEUE)
    assert result.kpis["reveal_wait_time"] > 0
    check_report = check(problem, plan, respect_reveal_times=True)
    assert any(v.kind == "reveal" for v in check_report.violations)  # the plan itself ignores the reveal
    b = result.visits.set_index("node").loc["b"]
    assert b["arrival"] >= 200.0


class _Grabber(BasePolicy):
    """Breaks the protocol in a configurable way."""

    name = "grabber"

    def __init__(self, mode):
        self.mode = mode

    def on_reveal(self, state, request):
        if state.time < 50:
            return Decision()
        view = state.amr(0)
        if self.mode == "committed" and view.target is not None:
            return Decision(plans={1: PendingPlan(trips=(Trip((view.target,)),))})
        if self.mode == "twice":
            return Decision(plans={0: PendingPlan(trips=(Trip(("b",)),)), 1: PendingPlan(trips=(Trip(("b",)),))})
        if self.mode == "depot":
            return Decision(plans={1: PendingPlan(trips=(Trip(("D",)),))})
        return Decision()


@pytest.mark.parametrize(
    ("mode", "message"),
    [("committed", "already committed"), ("twice", "already planned by AMR 0"), ("depot", "is the depot")],
)
def test_policy_cannot_break_the_protocol(mode, message):
    problem = _tower()
    reqs = list(problem.requests)
    reqs[1] = Request("b", 0.0, 10.0, 1.0, 0.0, 500.0, 5.0, priority=2, floor=1, reveal=60.0)
    problem = problem.replace(requests=reqs)
    plan = Solution((AMRPlan((Trip(("a",), earliest_start=55.0),)),))
    with pytest.raises(PolicyError, match=message):
        simulate(problem, plan, _Grabber(mode), rng=np.random.default_rng(0), config=NO_QUEUE)


class _Reassign(BasePolicy):
    """Moves every pending request of AMR 0 to AMR 1 on each reveal (legal: only the uncommitted part)."""

    name = "reassign"

    def on_reveal(self, state, request):
        if state.time <= 0:
            return Decision()
        a0, a1 = state.amr(0), state.amr(1)
        assert a0.target == "a" and a0.visited == ("a",) and a0.pending.rest_of_trip == ("b",)
        assert state.request_status("a") == "committed" and state.request_status("b") == "planned"
        moved = a0.pending.requests()
        return Decision(plans={0: PendingPlan(), 1: PendingPlan(trips=(*a1.pending.trips, Trip(moved)))})


def test_policy_changes_only_the_uncommitted_part():
    problem = _tower()
    reqs = list(problem.requests)
    reqs[1] = Request("b", 0.0, 10.0, 1.0, 0.0, 500.0, 5.0, priority=2, floor=1, reveal=3.0)
    problem = problem.replace(requests=reqs)
    plan = Solution((AMRPlan((Trip(("a", "b")),)),))  # "a" is committed from time 0, "b" is revealed at 3
    result = simulate(problem, plan, _Reassign(), rng=np.random.default_rng(0), config=NO_QUEUE)
    by_node = result.visits.set_index("node")
    assert by_node.loc["a", "amr"] == 0 and by_node.loc["b", "amr"] == 1  # "b" moved, "a" stayed committed
    assert result.kpis["served"] == 2 and result.kpis["amrs_used"] == 2
    assert (result.events["event"] == "plan_change").sum() == 2


def test_t_quantile_and_summary():
    assert t_quantile(10) == pytest.approx(2.2281, abs=1e-4)
    assert t_quantile(60) == pytest.approx(2.0003, abs=2e-4)
    assert t_quantile(120) == pytest.approx(1.9799, abs=2e-4)
    x = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    table = summarise(pd.DataFrame({"distance": x, "on_time_rate": [1, np.nan, 1, 1, 0.5]}))
    row = table.loc["distance"]
    assert row["mean"] == pytest.approx(4.0)
    assert row["half_width"] == pytest.approx(2.7764 * x.std(ddof=1) / math.sqrt(5), rel=1e-4)
    assert table.loc["on_time_rate", "n"] == 4


def test_replications_use_common_random_numbers():
    """Replication r depends only on (seed, r): a batch split in two equals one run; plans see the same draws."""
    problem = synthetic_day(30, 3, rng=np.random.default_rng(2), floors=2)
    plan = nearest_neighbour_plan(problem)
    whole = replicate(problem, plan, replications=6, seed=4).kpis
    parts = pd.concat(
        [
            replicate(problem, plan, replications=3, seed=4).kpis,
            replicate(problem, plan, replications=3, seed=4, first=3).kpis,
        ],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(whole, parts)
    summary = replicate(problem, plan, replications=6, seed=4).summary()
    assert summary.loc["distance", "half_width"] == pytest.approx(0.0, abs=1e-9)  # plan distance is fixed
    assert summary.loc["makespan", "sd"] > 0


def test_cli_simulate_json_output(shared_dir, capsys):
    from hospital_or.cli import main

    sol = shared_dir / "solomon" / "solutions" / "hierarchical" / "C101.sol"
    args = ["simulate", str(shared_dir / "solomon" / "C101.txt"), str(sol), "-r", "4", "--seed", "5"]
    assert main([*args, "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["replications"] == 4 and payload["seed"] == 5
    assert payload["kpis"]["served"]["mean"] == 100.0
    assert main([*args, "--policy", "bogus"]) == 2
    assert main([*args[:2], str(shared_dir / "solomon" / "C101.txt"), "-r", "2", "--seed", "1"]) == 1


def test_overloaded_trip_is_counted_not_refused():
    problem = _tower()
    problem = problem.replace(fleet=dataclasses.replace(problem.fleet, capacity=1.0))
    plan = Solution((AMRPlan((Trip(("a", "b")),)),))
    assert any(v.kind == "capacity" for v in check(problem, plan).violations)
    result = simulate(problem, plan, rng=np.random.default_rng(0), config=NO_QUEUE)
    assert result.kpis["capacity_violations"] == 1 and result.kpis["served"] == 2
    split = Solution((AMRPlan((Trip(("a",)), Trip(("b",)))),))
    assert simulate(problem, split, rng=np.random.default_rng(0), config=NO_QUEUE).kpis["capacity_violations"] == 0


@pytest.mark.parametrize(("seed", "depot_charging"), [(1, True), (2, True), (3, False), (4, False)])
def test_zero_variance_multi_trip_building_day_equals_checker(seed, depot_charging):
    """Multi-trip plans with batteries, stations and floors (no queueing) match the checker."""
    problem = synthetic_day(60, 3, rng=np.random.default_rng(seed), floors=4, cv_travel=0.0, cv_service=0.0)
    problem = problem.replace(
        elevator=dataclasses.replace(problem.elevator, wait_max=0.0),
        fleet=dataclasses.replace(problem.fleet, depot_charging=depot_charging, energy_per_distance=0.02),
    )
    assert not problem.is_stochastic
    plan = nearest_neighbour_plan(problem)
    # put a charging stop into the first trip of every AMR: exercises station recharging and soc bookkeeping
    station = problem.stations[0].id
    plan = Solution(tuple(AMRPlan((Trip((*a.trips[0].visits, station)), *a.trips[1:])) for a in plan.amrs))
    assert check(problem, plan).feasible
    result = simulate(problem, plan, rng=np.random.default_rng(0), config=NO_QUEUE)
    assert max(len(a.trips) for a in plan.amrs) > 1
    assert _max_schedule_gap(problem, plan, result) < 1e-6
    assert result.kpis["charging_detours"] == 0


def test_battery_blind_plan_detours_instead_of_running_flat():
    """A plan that ignores batteries (no depot charging, heavy consumption) is repaired by detours in the simulation."""
    day = synthetic_day(80, 3, rng=np.random.default_rng(7), floors=3, n_stations=2)
    day = day.replace(fleet=dataclasses.replace(day.fleet, depot_charging=False, energy_per_distance=0.05))
    plan = nearest_neighbour_plan(day)
    assert any(v.kind == "battery" for v in check(day, plan).violations)
    result = simulate(day, plan, rng=replication_rng(1, 0))
    assert result.kpis["charging_detours"] > 0 and result.kpis["battery_violations"] == 0
    assert (result.visits["soc_arrival"] >= 0.2 * 100.0 - 1e-6).all()


def test_policies_by_name_registration_and_import_path():
    from hospital_or.simulation import NearestIdlePolicy, make_policy, register_policy
    from hospital_or.simulation.policy import POLICIES

    assert isinstance(make_policy("hospital_or.simulation.policy:NearestIdlePolicy"), NearestIdlePolicy)
    with pytest.raises(ValueError, match="unknown policy"):
        make_policy("no-such-policy")
    with pytest.raises(ValueError, match="cannot import"):
        make_policy("hospital_or.simulation.policy:Missing")
    with pytest.raises(TypeError):
        make_policy(object())
    register_policy("test-reassign", _Reassign)
    try:
        assert isinstance(make_policy("test-reassign"), _Reassign)
    finally:
        POLICIES.pop("test-reassign")
