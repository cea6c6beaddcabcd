"""The routing engine: move evaluation vs. application, and the engine vs. the independent checker."""

from __future__ import annotations

import dataclasses
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _engine_helpers import random_problem, random_trips
from hypothesis import given
from hypothesis import strategies as st

from hospital_or.checker import check
from hospital_or.checker import clark_max as checker_clark
from hospital_or.problem import Depot, Fleet, Problem, Request
from hospital_or.solution import Solution
from solvers.engine import kernels as K
from solvers.engine.assignment import T_LCOST, TripSimulator, assign_trips
from solvers.engine.neighbours import granular_neighbours
from solvers.engine.operators import (
    amr_decrease,
    cyclic_exchange,
    depot_insertion,
    initial_solution,
    remove_reinsert,
)
from solvers.engine.search import OP_ALL, OP_RELOCATE_STATION
from solvers.engine.state import RoutingEngine
from solvers.vns import evaluate_plan

MODES = [
    {},
    {"battery": True},
    {"stochastic": True},
    {"stochastic": True, "battery": True},
    {"soft": True},
    {"soft": True, "stochastic": True, "battery": True},
]


def _random_move(eng: RoutingEngine, rng: np.random.Generator) -> tuple[str, bool]:
    mv, rlen, n, m = eng.mv, eng.rlen, eng.n_requests, eng.n_stations
    ru, rv = int(rng.integers(0, eng.n_routes)), int(rng.integers(0, eng.n_routes))
    pu, pv = int(rng.integers(0, rlen[ru] + 2)), int(rng.integers(0, rlen[rv] + 2))
    kinds = ["relocate", "swap", "two_opt_star", "two_opt", "station_in", "station_out", "station_move",
             "relocate_station"]
    kind = kinds[int(rng.integers(0, len(kinds)))]
    if kind == "relocate":
        ok = K.gen_relocate(mv, rlen, ru, pu, int(rng.integers(1, 4)), rv, pv)
    elif kind == "swap":
        ok = K.gen_swap(mv, rlen, ru, pu, rv, pv)
    elif kind == "two_opt_star":
        ok = K.gen_two_opt_star(mv, rlen, ru, pu, rv, pv)
    elif kind == "two_opt":
        ok = K.gen_two_opt(mv, rlen, ru, pu, pv)
    elif kind == "station_in":
        ok = m > 0 and K.gen_station_insert(mv, rlen, ru, pu, int(rng.integers(n + 1, n + m + 1)))
    elif kind == "relocate_station":
        seg, drop = int(rng.integers(1, 4)), int(rng.integers(-1, 2))
        adj = pu - 1 if drop == -1 else pu + seg
        if drop != 0 and not (1 <= adj <= rlen[ru] and eng.node[eng.routes[ru, adj], K.N_ISST] > 0):
            drop = 0
        station = int(rng.integers(n + 1, n + m + 1)) if m > 0 and rng.random() < 0.7 else -1
        ok = K.gen_relocate_station(mv, rlen, ru, pu, seg, rv, pv, drop, station, int(rng.integers(0, 2)))
    elif kind == "station_move":
        is_station = 1 <= pu <= rlen[ru] and eng.node[eng.routes[ru, pu], K.N_ISST] > 0
        ok = is_station and K.gen_station_move(mv, rlen, ru, pu, int(rng.integers(0, rlen[ru] + 1)),
                                               int(rng.integers(n + 1, n + m + 1)))
    else:
        ok = K.gen_remove(mv, rlen, ru, pu) and eng.node[eng.routes[ru, pu], K.N_ISST] > 0
    return kind, bool(ok)


@given(seed=st.integers(0, 10**6), mode=st.sampled_from(MODES))
def test_move_delta_equals_cost_change(seed, mode):
    """Why: every move kernel is a generator of segment rows; the O(1)/re-traversal evaluation must equal the cost
    change after rewriting the trips and rebuilding all caches from scratch, in fast and general mode."""
    problem = random_problem(seed, **mode)
    rng = np.random.default_rng(seed)
    eng = RoutingEngine(problem.to_arrays(), n_routes=4, weights=tuple(rng.uniform(0.5, 50, 3)))
    eng.load(random_trips(problem, rng))
    checked = 0
    for _ in range(400):
        if checked == 25:
            break
        kind, ok = _random_move(eng, rng)
        if not ok:
            continue
        mv = eng.mv.copy()
        before = eng.penalised_cost()
        delta = eng.evaluate(mv)
        bound = K.lower_bound(mv, eng.routes, eng.rlen, eng.fw, eng.bw, eng.rinfo, eng.D, eng.par)
        eng.apply(mv)
        after = eng.recompute_cost()
        assert after - before == pytest.approx(delta, abs=1e-6, rel=1e-9), kind
        assert bound <= delta + 1e-7, kind
        served = sorted(v for t in eng.trips() for v in t if v <= problem.n_requests)
        assert served == list(range(1, problem.n_requests + 1))
        checked += 1
    assert checked > 0


def test_clark_max_matches_checker():
    """Why: the engine and the checker implement Clark's max separately; they must agree."""
    for mu, var, e in [(10.0, 4.0, 12.0), (10.0, 0.0, 8.0), (5.0, 9.0, 5.0), (100.0, 1.0, 0.0), (0.0, 25.0, 30.0)]:
        ours = K.clark_max(e, mu, var)
        theirs = checker_clark(mu, var, e)
        assert ours[0] == pytest.approx(theirs[0], abs=1e-9)
        assert ours[1] == pytest.approx(theirs[1], abs=1e-7)


@pytest.mark.parametrize("mode", MODES[:4])
def test_engine_agrees_with_checker_single_trip(mode):
    """Why: the engine's penalty terms are zero exactly when the independent checker finds the plan feasible, and
    both compute the same distance (one trip per AMR)."""
    agree = 0
    for seed in range(25):
        problem = random_problem(seed, **mode)
        rng = np.random.default_rng(seed)
        eng = RoutingEngine(problem.to_arrays(), n_routes=4)
        trips = random_trips(problem, rng, n_trips=int(rng.integers(1, 5)))
        eng.load(trips)
        report = check(problem, Solution.from_index_routes(problem, [[t] for t in trips]))
        time_ok = not any(v.kind in ("time_window", "chance", "horizon") for v in report.violations)
        batt_ok = not any(v.kind == "battery" for v in report.violations)
        cap_ok = not any(v.kind == "capacity" for v in report.violations)
        s = eng.summary()
        assert s["distance"] == pytest.approx(report.distance, abs=1e-6)
        assert (s["time_violation"] <= 1e-6) == time_ok
        assert (s["battery_violation"] <= 1e-6) == batt_ok
        assert (s["load_excess"] <= 1e-6) == cap_ok
        agree += 1
    assert agree == 25


@pytest.mark.parametrize("stochastic", [False, True])
def test_soft_window_lateness_cost_agrees_with_checker(stochastic):
    """Why: with soft windows both sides price lateness as ``w_p * E[(A - due)^+]`` (spec 2.4; exact max(0, A - due)
    without variance) - in the engine's trip cache and in its exact trip simulation alike."""
    nonzero = 0
    for seed in range(20):
        problem = random_problem(seed, stochastic=stochastic, soft=True)
        rng = np.random.default_rng(seed)
        arrays = problem.to_arrays()
        eng = RoutingEngine(arrays, n_routes=4)
        trips = random_trips(problem, rng, n_trips=int(rng.integers(1, 4)))
        eng.load(trips)
        report = check(problem, Solution.from_index_routes(problem, [[t] for t in trips]))
        assert eng.summary()["lateness_cost"] == pytest.approx(report.costs["lateness"], rel=1e-9, abs=1e-9)
        sim = TripSimulator(arrays, eng.node)
        simulated = sum(sim.run(t, arrays.ready[0])[T_LCOST] for t in trips)
        assert simulated == pytest.approx(report.costs["lateness"], rel=1e-9, abs=1e-9)
        nonzero += report.costs["lateness"] > 0
    assert nonzero >= 5  # the comparison is not vacuous


@pytest.mark.parametrize("depot_charging", [False, True])
@pytest.mark.parametrize("stochastic", [False, True])
def test_plan_evaluation_agrees_with_checker_multi_trip(stochastic, depot_charging):
    """Why: trips are packed onto AMRs by interval partitioning; the exact chained simulation must give the
    checker's verdict and cost (fleet, distance) for the packed plan."""
    for seed in range(15):
        problem = random_problem(seed, stochastic=stochastic, battery=True, max_trips=3,
                                 depot_charging=depot_charging)
        rng = np.random.default_rng(seed)
        arrays = problem.to_arrays()
        eng = RoutingEngine(arrays, n_routes=6)
        sim = TripSimulator(arrays, eng.node)
        trips = random_trips(problem, rng, n_trips=int(rng.integers(2, 6)), station_share=0.7)
        ev = evaluate_plan(trips, sim)
        report = check(problem, Solution.from_index_routes(problem, ev.amrs))
        assert ev.feasible == report.feasible, [v.kind for v in report.violations]
        assert ev.cost == pytest.approx(report.cost, abs=1e-6)
        assert ev.vehicles == report.vehicles
        groups = assign_trips(trips, sim)
        assert sorted(k for g in groups for k in g) == list(range(len(trips)))


@pytest.mark.parametrize("stochastic", [False, True])
def test_soft_window_packing_prices_chained_lateness_against_an_amr(stochastic):
    """Why: with soft windows a trip chained behind another may start too late for its windows; the packing must
    price that lateness against one more AMR. So the packed plan (checked) never costs more than one AMR per trip,
    and it still chains trips where that is cheaper."""
    chained = 0
    for seed in range(25):
        problem = random_problem(seed, stochastic=stochastic, soft=True, max_trips=3)
        problem = problem.replace(fleet=dataclasses.replace(problem.fleet, max_vehicles=problem.n_requests))
        rng = np.random.default_rng(seed)
        arrays = problem.to_arrays()
        sim = TripSimulator(arrays, RoutingEngine(arrays, n_routes=6).node)
        trips = random_trips(problem, rng, n_trips=int(rng.integers(2, 6)), station_share=0.0)
        plan = evaluate_plan(trips, sim)
        packed = check(problem, Solution.from_index_routes(problem, plan.amrs))
        separate = check(problem, Solution.from_index_routes(problem, [[t] for t in trips]))
        assert plan.cost == pytest.approx(packed.cost, abs=1e-6)
        assert packed.cost <= separate.cost + 1e-6
        chained += plan.vehicles < len(trips)
    assert chained >= 5  # the packing still shares AMRs


@pytest.mark.parametrize(("fixed_cost", "amrs"), [(100.0, 1), (10.0, 2)])
def test_soft_window_packing_splits_when_lateness_costs_more_than_an_amr(fixed_cost, amrs):
    """Why: two one-request trips to the same place and window: chained, the second is late by the first one's
    round trip (priority 1, 3 per time unit: 3 * (35 - 12) = 69). One AMR is cheaper at a fixed cost of 100, two
    at 10."""
    requests = [Request(f"r{i}", 10.0, 0.0, 1.0, 0.0, 12.0, 5.0, priority=1) for i in range(2)]
    fleet = Fleet(capacity=1, max_vehicles=2, max_trips=2, fixed_cost=fixed_cost)
    problem = Problem("two", Depot("d", 0.0, 0.0, 0.0, 500.0), requests, fleet, lateness_weights=(3.0, 2.0, 1.0))
    arrays = problem.to_arrays()
    sim = TripSimulator(arrays, RoutingEngine(arrays, n_routes=2).node)
    plan = evaluate_plan([[1], [2]], sim)
    report = check(problem, Solution.from_index_routes(problem, plan.amrs))
    assert plan.vehicles == report.vehicles == amrs
    assert report.feasible
    assert report.costs["lateness"] == pytest.approx(0.0 if amrs == 2 else 3.0 * (35.0 - 12.0), abs=1e-6)


@pytest.mark.parametrize("ops", [OP_ALL, OP_ALL | OP_RELOCATE_STATION])
@pytest.mark.parametrize("mode", [{}, {"battery": True}, {"stochastic": True, "battery": True}])
def test_local_search_improves_and_keeps_requests(mode, ops):
    """Why: the VND applies only improving moves (its final penalised cost is no higher than the start, and equal to
    a from-scratch recomputation) and never loses or duplicates a request; also with the station-aware relocate,
    whose applied variant must be the one it evaluated."""
    for seed in range(6):
        problem = random_problem(seed, n=9, **mode)
        rng = np.random.default_rng(seed)
        arrays = problem.to_arrays()
        eng = RoutingEngine(arrays, n_routes=4)
        eng.load(random_trips(problem, rng))
        start = eng.penalised_cost()
        eng.local_search(rng.permutation(np.arange(1, problem.n_requests + 1)), granular_neighbours(arrays, 5),
                         ops=ops)
        end = eng.penalised_cost()
        assert end <= start + 1e-9
        assert end == pytest.approx(eng.recompute_cost(), abs=1e-6)
        served = sorted(v for t in eng.trips() for v in t if v <= problem.n_requests)
        assert served == list(range(1, problem.n_requests + 1))


def test_operators_keep_every_request_once():
    """Why: construction, shaking, AMR decrease and depot insertion rearrange trips wholesale; no request may be
    lost or duplicated, and the caches must stay exact."""
    problem = random_problem(3, n=9, battery=True, max_trips=3, stochastic=True)
    arrays = problem.to_arrays()
    rng = np.random.default_rng(0)
    eng = RoutingEngine(arrays, n_routes=6)
    initial_solution(eng, rng)
    for step in range(30):
        if step % 3 == 0:
            cyclic_exchange(eng, 1 + step % 15, rng)
        elif step % 3 == 1:
            remove_reinsert(eng, 3, rng)
        else:
            amr_decrease(eng, rng)
            depot_insertion(eng)
        served = sorted(v for t in eng.trips() for v in t if v <= problem.n_requests)
        assert served == list(range(1, problem.n_requests + 1))
        assert eng.penalised_cost() == pytest.approx(eng.recompute_cost(), abs=1e-6)


def test_initial_solution_is_feasible_when_trips_are_plentiful():
    """Why: with a trip slot per request the construction never has to break a constraint."""
    problem = random_problem(11, n=8)
    arrays = problem.to_arrays()
    eng = RoutingEngine(arrays, n_routes=8)
    initial_solution(eng, np.random.default_rng(1))
    assert eng.is_feasible()


def test_granular_neighbours_shape():
    """Why: every request gets k distinct other requests as neighbours."""
    problem = random_problem(5, n=9)
    nb = granular_neighbours(problem.to_arrays(), 4)
    assert nb.shape == (problem.n_nodes, 4)
    for u in range(1, problem.n_requests + 1):
        assert u not in nb[u]
        assert len(set(nb[u])) == 4
        assert all(1 <= v <= problem.n_requests for v in nb[u])


def test_kernels_without_jit():
    """Why: coverage of the kernels as plain Python (NUMBA_DISABLE_JIT=1), in a subprocess."""
    root = Path(__file__).resolve().parent.parent
    code = (
        "import numpy as np\n"
        "from test_engine import test_move_delta_equals_cost_change as t\n"
        "from test_engine import MODES\n"
        "for i, mode in enumerate(MODES):\n"
        "    t.hypothesis.inner_test(seed=i, mode=mode)\n"
        "from test_engine import test_local_search_improves_and_keeps_requests as ls\n"
        "from solvers.engine.search import OP_ALL, OP_RELOCATE_STATION\n"
        "ls({'battery': True}, OP_ALL | OP_RELOCATE_STATION)\n"
        "print('ok')\n"
    )
    paths = [str(root), str(root / "tests"), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONPATH=os.pathsep.join(p for p in paths if p))
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "ok" in out.stdout


def test_infinite_battery_has_no_station_cost():
    """Why: without a battery model a station visit costs only its detour (no recharge time, no NaN)."""
    problem = random_problem(2, n=5)
    arrays = problem.to_arrays()
    eng = RoutingEngine(arrays, n_routes=2)
    eng.load([[1, 2, 3, 4, 5]])
    assert math.isfinite(eng.penalised_cost())
