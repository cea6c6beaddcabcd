"""``solve_tabu(problem, stop, seed) -> Result``: the stage-1 tabu search with the interface of
:func:`hospital_or.solve.solve` (for ``hospital-or solve --algo tabu``).

Example
-------
>>> from hospital_or.io import read_instance
>>> from solvers.stop import MaxIterations
>>> result = solve_tabu(read_instance("C101.txt"), MaxIterations(200), seed=1)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from hospital_or.problem import Problem
from hospital_or.result import Result
from hospital_or.solution import Solution
from hospital_or.solve import initial_trips, search_result
from solvers.tabu import TabuParams, tabu_search

__all__ = ["solve_tabu"]


def solve_tabu(
    problem: Problem,
    stop,
    seed: int,
    params: TabuParams | None = None,
    initial: Solution | None = None,
) -> Result:
    """Solve an AMR routing problem by the unified tabu search (:mod:`solvers.tabu`).

    Parameters
    ----------
    problem
        The problem (soft windows use ``Problem.lateness_weights``; hard windows are penalised and enforced).
    stop
        Stopping criterion from :mod:`solvers.stop` (a fresh one per call); the iteration limits of ``params``
        apply as well (set ``max_iterations`` high to let ``stop`` decide).
    seed
        Seed of the run's only random number generator.
    params
        Tabu parameters (defaults of :class:`~solvers.tabu.TabuParams`).
    initial
        Optional start solution (its trips are the initial trips).

    Returns
    -------
    Result
        The best feasible solution (``None`` when none was found) and the per-iteration statistics.
    """
    params = params if params is not None else TabuParams(max_iterations=10**9, max_no_improve=10**9)
    out = tabu_search(problem.to_arrays(), np.random.default_rng(seed), params,
                      initial=initial_trips(problem, initial), stop=stop)
    return search_result(problem, out, seed, "tabu", params)
