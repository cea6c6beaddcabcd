"""The solve function: ``solve(problem, stop, seed) -> Result`` (PyVRP style).

Example
-------
>>> from hospital_or.io import read_instance
>>> from hospital_or.solve import solve
>>> from solvers.stop import MaxIterations
>>> result = solve(read_instance("C101.txt"), MaxIterations(200), seed=1)  # doctest: +SKIP
>>> result.vehicles, round(result.distance, 2)  # doctest: +SKIP
(10, 828.94)
"""

from __future__ import annotations

import dataclasses
import logging
import math

import numpy as np

from hospital_or import __version__
from hospital_or.params import VNSParams
from hospital_or.problem import Problem
from hospital_or.result import Result, Statistics
from hospital_or.solution import Solution
from solvers.vns import vns

logger = logging.getLogger("hospital_or.solve")

#: Algorithms :func:`solve` understands.
ALGORITHMS = ("vns", "tabu")


def solve(
    problem: Problem,
    stop,
    seed: int,
    params: VNSParams | None = None,
    algo: str = "vns",
    initial: Solution | None = None,
) -> Result:
    """Solve an AMR routing problem.

    Parameters
    ----------
    problem
        The problem (deterministic or stochastic, single- or multi-trip, with or without batteries).
    stop
        Stopping criterion from :mod:`solvers.stop` (e.g. ``MultipleCriteria([MaxRuntime(10),
        NoImprovement(300)])``). A criterion object is stateful: use a fresh one per call.
    seed
        Seed of the run's only random number generator (same seed and iteration limit -> same result).
    params
        Algorithm parameters: :class:`~hospital_or.params.VNSParams` for ``"vns"``,
        :class:`solvers.tabu.TabuParams` for ``"tabu"`` (their defaults when ``None``).
    algo
        ``"vns"`` (Paper A) or ``"tabu"`` (the unified tabu search of Paper B's stage 1).
    initial
        Optional start solution (its trips are used as the initial trips).

    Returns
    -------
    Result
        The best feasible solution found (``None`` when none was found) and the statistics.

    Raises
    ------
    ValueError
        Unknown algorithm.
    """
    if algo not in ALGORITHMS:
        raise ValueError(f"algorithm {algo!r} not understood (choose from {', '.join(ALGORITHMS)})")
    if algo == "tabu":
        from hospital_or.dynamic.tabu_solve import solve_tabu

        return solve_tabu(problem, stop, seed, params=params, initial=initial)
    params = params if params is not None else VNSParams()
    arrays = problem.to_arrays()
    rng = np.random.default_rng(seed)
    out = vns(arrays, stop, rng, params, initial=initial_trips(problem, initial))
    return search_result(problem, out, seed, algo, params)


def initial_trips(problem: Problem, initial: Solution | None) -> list[list[int]] | None:
    """The trips of a start solution as node-index lists (what the array-level searches take)."""
    if initial is None:
        return None
    return [trip for amr in initial.to_index_routes(problem) for trip in amr if trip]


def search_result(problem: Problem, out, seed: int, algorithm: str, params) -> Result:
    """Convert an array-level search outcome (VNS or tabu: ``best``, ``history``, ``iterations``, ``runtime``)
    into a :class:`~hospital_or.result.Result` with its provenance."""
    best = None
    cost, distance, vehicles, trips = math.inf, 0.0, 0, 0
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
        algorithm=algorithm,
        params=dataclasses.asdict(params),
        version=__version__,
        cost=cost,
        distance=distance,
        vehicles=vehicles,
        trips=trips,
        moves=getattr(out, "moves", 0),
    )


__all__ = ["ALGORITHMS", "solve"]
