"""``solve_tabu(problem, stop, seed) -> Result``: the stage-1 tabu search with the interface of
:func:`hospital_or.solve.solve` (for ``hospital-or solve --algo tabu``).

Example
-------
>>> from hospital_or.io import read_instance
>>> from solvers.stop import MaxIterations
>>> result = solve_tabu(read_instance("C101.txt"), MaxIterations(200), seed=1)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses

import numpy as np

from hospital_or import __version__
from hospital_or.problem import Problem
from hospital_or.result import Result, Statistics
from hospital_or.solution import Solution
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
    arrays = problem.to_arrays()
    start = None
    if initial is not None:
        start = [trip for amr in initial.to_index_routes(problem) for trip in amr if trip]
    out = tabu_search(arrays, np.random.default_rng(seed), params, initial=start, stop=stop)
    best = None
    cost, distance, vehicles, trips = float("inf"), 0.0, 0, 0
    if out.best is not None:
        best = Solution.from_index_routes(problem, out.best.amrs)
        cost, distance = out.best.cost, out.best.distance
        vehicles, trips = out.best.vehicles, out.best.trips
    return Result(
        best=best,
        stats=Statistics.from_history(out.history),
        num_iterations=out.iterations,
        runtime=out.runtime,
        seed=int(seed),
        algorithm="tabu",
        params=dataclasses.asdict(params),
        version=__version__,
        cost=cost,
        distance=distance,
        vehicles=vehicles,
        trips=trips,
    )
