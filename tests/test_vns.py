"""The VNS and ``solve()``: determinism, feasibility by the independent checker, stochastic reliability."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _engine_helpers import random_problem

from hospital_or.checker import check
from hospital_or.io import read_instance
from hospital_or.params import VNSParams, load_params
from hospital_or.paths import REPO_ROOT
from hospital_or.result import Statistics
from hospital_or.solve import solve
from solvers.stop import MaxIterations, MaxRuntime, MultipleCriteria, NoImprovement
from solvers.vns import vns


def test_same_seed_same_result():
    """Why: reproducibility - the same seed and iteration limit give the same solution and statistics."""
    problem = random_problem(7, n=9, stochastic=True, battery=True, max_trips=2)
    a = solve(problem, MaxIterations(40), seed=3)
    b = solve(problem, MaxIterations(40), seed=3)
    assert a.best == b.best
    assert a.stats == b.stats
    assert a.num_iterations == b.num_iterations == 40
    assert a.stats.data["best_cost"] == b.stats.data["best_cost"]


def test_statistics_csv_round_trip(tmp_path):
    """Why: statistics are exported to CSV and read back unchanged (booleans as 0/1)."""
    result = solve(random_problem(1, n=6), MaxIterations(10), seed=0)
    path = tmp_path / "stats.csv"
    result.stats.to_csv(path)
    back = Statistics.from_csv(path)
    assert back == result.stats
    assert len(back) == 10
    assert path.read_text().splitlines()[0].startswith("iteration,runtime,current_cost")


@pytest.mark.parametrize("mode", [{}, {"battery": True}, {"stochastic": True, "battery": True, "max_trips": 3},
                                  {"soft": True}])
def test_solutions_feasible_by_checker_random(mode):
    """Why: the solver's own evaluation and the independent checker must agree on the best solution."""
    for seed in range(3):
        problem = random_problem(seed, n=9, **mode)
        result = solve(problem, MaxIterations(30), seed=seed)
        assert result.best is not None
        report = check(problem, result.best)
        assert report.feasible, [v.detail for v in report.violations]
        assert report.cost == pytest.approx(result.cost, abs=1e-6)
        assert report.vehicles == result.vehicles


@pytest.mark.parametrize("name", ["C101", "R201", "RC105"])
def test_solomon_sample_feasible(shared_dir, name):
    """Why: Solomon instances (plain VRPTW, hierarchical objective) solve to checker-feasible plans."""
    problem = read_instance(shared_dir / "solomon" / f"{name}.txt")
    result = solve(problem, MultipleCriteria([MaxIterations(25), MaxRuntime(8)]), seed=0)
    assert result.best is not None
    report = check(problem, result.best)
    assert report.feasible, [v.detail for v in report.violations[:3]]
    assert report.distance == pytest.approx(result.distance, abs=1e-6)
    assert all(len(a.trips) == 1 for a in result.best.amrs)


@pytest.mark.parametrize("name", ["large/c103_21", "large/r202_21", "small/rc108C15"])
def test_evrptw_sample_feasible(shared_dir, name):
    """Why: E-VRPTW instances (battery, charging stations) solve to checker-feasible plans."""
    problem = read_instance(shared_dir / "evrptw" / f"{name}.txt")
    result = solve(problem, MultipleCriteria([MaxIterations(25), MaxRuntime(8)]), seed=0)
    assert result.best is not None
    report = check(problem, result.best)
    assert report.feasible, [v.detail for v in report.violations[:3]]
    assert report.cost == pytest.approx(result.cost, abs=1e-6)


def test_stochastic_chance_constraint_holds():
    """Why: in stochastic mode every request meets mean + z_beta sd <= due (checker, analytic), so each analytic
    on-time probability is >= beta, and the checker's Monte Carlo estimate agrees with the analytic one within
    2 percentage points (mean over requests)."""
    problem = read_instance(REPO_ROOT / "instances" / "hospital_small.json")
    assert problem.is_stochastic
    result = solve(problem, MultipleCriteria([MaxIterations(60), MaxRuntime(15)]), seed=0)
    assert result.best is not None
    report = check(problem, result.best, monte_carlo=2000, seed=5)
    assert report.feasible, [v.detail for v in report.violations[:3]]
    beta = problem.stochastic.beta
    analytic = report.on_time_analytic
    assert min(analytic.values()) >= beta - 1e-9
    mc = report.on_time_monte_carlo
    mean_analytic = sum(analytic.values()) / len(analytic)
    mean_mc = sum(mc.values()) / len(mc)
    assert abs(mean_analytic - mean_mc) <= 0.02


def test_tighter_beta_is_not_cheaper():
    """Why: a stricter reliability level can only shrink the feasible set; the chance constraint is active."""
    base = random_problem(4, n=8, stochastic=True, max_trips=2)
    costs = []
    for beta in (0.6, 0.99):
        problem = base.replace(stochastic=base.stochastic.__class__(0.3, 0.2, beta))
        result = solve(problem, MaxIterations(40), seed=0)
        report = check(problem, result.best)
        assert report.feasible
        assert min(report.on_time_analytic.values()) >= beta - 1e-9
        costs.append(report.cost)
    assert costs[1] >= costs[0] - 1e-6 or math.isclose(costs[0], costs[1])


def test_params_from_toml(tmp_path):
    """Why: parameters load from TOML (top level or [vns]); missing keys keep defaults, unknown keys fail."""
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    assert load_params(empty) == VNSParams()
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('[vns]\nshaking = "remove_reinsert"\ngranular = 10\nacceptance = "improving"\n')
    params = load_params(cfg)
    assert params.shaking == "remove_reinsert" and params.granular == 10 and params.neighbourhoods == 5
    bad = tmp_path / "bad.toml"
    bad.write_text("granularity = 3\n")
    with pytest.raises(ValueError, match="granularity"):
        load_params(bad)
    with pytest.raises(ValueError):
        VNSParams(shaking="nope")


def test_remove_reinsert_and_improving_acceptance():
    """Why: the alternative shaking and acceptance options run and give checker-feasible plans."""
    problem = random_problem(9, n=9, battery=True)
    params = VNSParams(shaking="remove_reinsert", acceptance="improving", use_local_search=True)
    result = solve(problem, MaxIterations(20), seed=1, params=params)
    assert check(problem, result.best).feasible
    reduced = VNSParams(use_local_search=False)
    result = solve(problem, MaxIterations(20), seed=1, params=reduced)
    assert result.best is None or check(problem, result.best).feasible


def test_stopping_criteria():
    """Why: criteria validate arguments, combine, and NoImprovement counts only non-improving calls."""
    with pytest.raises(ValueError):
        MaxIterations(-1)
    with pytest.raises(ValueError):
        MaxRuntime(-1)
    with pytest.raises(ValueError):
        MultipleCriteria([])
    stop = NoImprovement(2)
    assert [stop(c) for c in (5.0, 4.0, 4.0, 4.0)] == [False, False, False, True]
    stop = MultipleCriteria([MaxIterations(3), NoImprovement(10)])
    assert [stop(1.0) for _ in range(4)] == [False, False, False, True]
    assert stop.fraction_done() == 1.0
    rt = MaxRuntime(0)
    rt.start()
    assert rt(1.0)


def test_unknown_algorithm():
    """Why: a typo in the algorithm name is an error, not a silent default."""
    with pytest.raises(ValueError, match="algorithm"):
        solve(random_problem(0, n=4), MaxIterations(1), seed=0, algo="tabu-typo")


def test_fixed_fleet_phase_keeps_plans_feasible_and_reproducible():
    """Why: the fixed-fleet phase after an AMR decrease forbids opening trips and restores the pre-decrease
    solution when it fails; the best plan must stay checker-feasible and the run reproducible."""
    # without route elimination: its fixed fleet would switch the VNS's AMR decrease (and so the phase) off
    params = VNSParams(fleet_phase=8, station_relocate="both", route_elimination=0.0)
    phases = 0
    for seed in range(3):
        problem = random_problem(seed, n=9, battery=True)
        phases += vns(problem.to_arrays(), MaxIterations(50), np.random.default_rng(seed), params).fleet_phases
        a = solve(problem, MaxIterations(50), seed=seed, params=params)
        b = solve(problem, MaxIterations(50), seed=seed, params=params)
        assert a.best is not None and a.best == b.best
        assert a.stats == b.stats
        report = check(problem, a.best)
        assert report.feasible, [v.detail for v in report.violations]
        assert report.vehicles == a.vehicles
    assert phases > 0  # the phase logic was exercised


def test_amr_decrease_backoff_spaces_fruitless_attempts():
    """Why: on single-trip plans of few AMRs an AMR decrease that leaves the best fleet unchanged doubles the wait
    to the next attempt, so a fleet that cannot shrink stops disrupting the distance search; without the backoff,
    or on plans of more AMRs than its threshold, the attempts keep coming at accepted feasible candidates."""
    problem = random_problem(4, n=9)
    arrays = problem.to_arrays()
    on = VNSParams(route_elimination=0.0, set_partitioning=0.0)
    off = VNSParams(route_elimination=0.0, set_partitioning=0.0, amr_decrease_backoff=0)
    above = VNSParams(route_elimination=0.0, set_partitioning=0.0, amr_decrease_backoff=1)
    with_backoff = vns(arrays, MaxIterations(300), np.random.default_rng(1), on)
    without = vns(arrays, MaxIterations(300), np.random.default_rng(1), off)
    its = with_backoff.amr_decrease_iterations
    vehicles = with_backoff.history["vehicles"]
    known = with_backoff.history["best_feasible"]
    checked = 0
    # a stretch of attempts over which the best fleet stayed the same (from before the first one): the gaps double
    for first in range(len(its)):
        if its[first] < 2 or not known[its[first] - 2]:
            continue
        for last in range(first + 2, len(its)):
            if vehicles[its[last] - 1] != vehicles[its[first] - 2]:
                break
            assert its[last] - its[last - 1] >= min(2 ** (last - first - 1), on.amr_decrease_max_wait)
            checked += 1
    assert checked > 0
    assert len(its) < len(without.amr_decrease_iterations)
    assert min(vehicles) > 1  # so the threshold of 1 AMR switches the backoff off
    large = vns(arrays, MaxIterations(300), np.random.default_rng(1), above)
    assert large.amr_decrease_iterations == without.amr_decrease_iterations
    result = solve(problem, MaxIterations(300), seed=1, params=on)
    report = check(problem, result.best)
    assert report.feasible, [v.detail for v in report.violations]
