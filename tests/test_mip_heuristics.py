"""Cross-check of the package's heuristics against proven MIP optima: no heuristic plan may beat a proven optimum,
and on the reference E-VRPTW instances VNS with a fixed seed reaches it."""

from __future__ import annotations

import pytest
from test_mip import random_problem

from hospital_or.checker import check
from hospital_or.mip import solve_mip

solve_module = pytest.importorskip("hospital_or.solve")
stop_module = pytest.importorskip("solvers.stop")


def _vns(problem, seed: int):
    stop = stop_module.MultipleCriteria([stop_module.MaxIterations(300), stop_module.MaxRuntime(20)])
    return solve_module.solve(problem, stop, seed=seed)


@pytest.mark.parametrize("seed", [1, 2, 5, 6])
def test_vns_never_beats_the_proven_optimum(seed):
    """Random instances with <= 8 requests: the checked VNS cost is at least the proven MIP optimum."""
    problem = random_problem(seed, 4 + seed % 5)
    assert problem is not None
    mip = solve_mip(problem, backend="pulp-highs", time_limit=30)
    assert mip.status == "optimal"
    result = _vns(problem, seed=1)
    if result.best is not None:
        report = check(problem, result.best)
        assert report.feasible
        assert report.cost >= mip.objective - 1e-6 * max(1.0, mip.objective)


@pytest.mark.needs_shared
@pytest.mark.parametrize("name", ["c101C5", "c103C5", "r104C5", "r202C5"])
def test_vns_reaches_the_proven_optimum_on_reference_instances(shared_dir, name):
    """With seed 1 and 300 iterations VNS finds the MIP's proven optimum on the reference E-VRPTW instances."""
    from hospital_or.io import read_instance

    problem = read_instance(shared_dir / "evrptw" / "small" / f"{name}.txt")
    mip = solve_mip(problem, backend="pulp-highs", time_limit=60)
    assert mip.status == "optimal"
    result = _vns(problem, seed=1)
    assert result.best is not None
    cost = check(problem, result.best).cost
    assert abs(cost - mip.objective) <= 1e-6 * max(1.0, mip.objective)
