"""Tabu search on the shared engine: delta consistency, feasibility (independent checker), determinism."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest

from hospital_or.checker import check
from hospital_or.io import read_instance
from hospital_or.solution import Solution
from solvers.tabu import TabuParams, _Tabu, move_attributes, tabu_search


@pytest.fixture(scope="module")
def soft_problem(shared_dir):
    """r101 cut to 30 customers, soft windows with priorities, 500 per AMR (the stage-1 model of spec 3.3)."""
    full = read_instance(shared_dir / "solomon" / "R101.txt") if (shared_dir / "solomon" / "R101.txt").exists() \
        else read_instance(shared_dir / "dvrptw_necula" / "r101-0.0.txt")
    rng = np.random.default_rng(0)
    requests = tuple(dataclasses.replace(r, priority=int(p))
                     for r, p in zip(full.requests[:30], rng.integers(1, 4, 30), strict=True))
    fleet = dataclasses.replace(full.fleet, fixed_cost=500.0)
    return full.replace(requests=requests, fleet=fleet, lateness_weights=(10.0, 5.0, 1.0))


def test_delta_consistency(soft_problem):
    """The delta of every chosen tabu move equals the penalised cost change after applying it."""
    arrays = soft_problem.to_arrays()
    search = _Tabu(arrays, TabuParams(), np.random.default_rng(1))
    eng = search.engine
    eng.load([[i] for i in range(1, 16)] + [list(range(16, 31))])
    best = math.inf
    checked = 0
    for it in range(1, 60):
        cur = eng.penalised_cost()
        score, delta = search.scan(it, cur, best)
        assert math.isfinite(score)
        n_attr = move_attributes(eng.best_mv, eng.routes, search.attr)
        assert n_attr >= 0
        search.apply_best(it)
        after = eng.penalised_cost()
        assert after - cur == pytest.approx(delta, abs=1e-6)
        assert eng.recompute_cost() == pytest.approx(after, abs=1e-6)
        checked += 1
        search.update_penalties()
    assert checked == 59


def test_tabu_feasible_and_checked(soft_problem):
    result = tabu_search(soft_problem.to_arrays(), np.random.default_rng(3), TabuParams(max_iterations=80))
    assert result.best is not None and result.best.feasible
    solution = Solution.from_index_routes(soft_problem, result.best.amrs)
    report = check(soft_problem, solution)
    assert report.feasible, report.violations[:3]
    assert report.cost == pytest.approx(result.best.cost, rel=1e-9)
    # monotone best-cost history
    best = result.history["best_cost"]
    assert all(b2 <= b1 + 1e-9 for b1, b2 in itertools.pairwise(best))


def test_tabu_deterministic(soft_problem):
    a = tabu_search(soft_problem.to_arrays(), np.random.default_rng(7), TabuParams(max_iterations=40))
    b = tabu_search(soft_problem.to_arrays(), np.random.default_rng(7), TabuParams(max_iterations=40))
    assert a.best.amrs == b.best.amrs and a.best.cost == b.best.cost
    assert a.history["candidate_cost"] == b.history["candidate_cost"]


def test_tabu_attributes_forbid_return(soft_problem):
    """A request that left a trip is tabu for that trip for a tenure in [tenure_min, tenure_max]."""
    arrays = soft_problem.to_arrays()
    params = TabuParams(tenure_min=15, tenure_max=30)
    search = _Tabu(arrays, params, np.random.default_rng(2))
    eng = search.engine
    eng.load([[i] for i in range(1, 21)] + [list(range(21, 31))])
    before = eng.node_route.copy()
    search.scan(1, eng.penalised_cost(), math.inf)
    search.apply_best(1)
    moved = np.flatnonzero((before != eng.node_route) & (before >= 0))
    assert moved.size >= 1
    for v in moved:
        assert 16 <= search.tabu[v, before[v]] <= 31


def test_params_validation(tmp_path):
    with pytest.raises(ValueError):
        TabuParams(tenure_min=20, tenure_max=10)
    path = tmp_path / "t.toml"
    path.write_text("[tabu]\ngranular = 10\nmax_iterations = 7\n")
    p = TabuParams.from_file(path)
    assert p.granular == 10 and p.max_iterations == 7
    with pytest.raises(ValueError):
        TabuParams.from_dict({"nope": 1})


def test_solve_tabu_glue(soft_problem):
    from hospital_or.dynamic.tabu_solve import solve_tabu
    from solvers.stop import MaxIterations

    result = solve_tabu(soft_problem, MaxIterations(15), seed=4)
    assert result.algorithm == "tabu" and result.num_iterations == 15
    assert len(result.stats) == 15
    assert result.best is not None
    report = check(soft_problem, result.best)
    assert report.feasible and report.cost == pytest.approx(result.cost, rel=1e-9)
