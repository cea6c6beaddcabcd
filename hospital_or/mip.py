"""Exact AMR routing by mixed-integer programming (spec sections 2.3 and 4.1).

:func:`solve_mip` converts a :class:`~hospital_or.problem.Problem` to arrays, builds one of two models from
:mod:`solvers.mip` and solves it with PuLP (CBC or HiGHS) or OR-Tools (SCIP):

* ``formulation="arc"`` (deterministic problems): the multi-trip E-VRPTW on station-chain arcs with dominance,
  tight big-M values per arc and a fleet duration bound; no station copies, no vehicle index (no symmetry);
* ``formulation="routes"`` (any problem, small instances): set partitioning over every AMR day plan enumerated by
  :mod:`solvers.route_enumeration`. Each plan is evaluated exactly as ``docs/semantics.md`` does, so the chance
  constraint ``mean + z_beta * sd <= due`` (Clark's normal approximation) is met exactly; with
  ``saa_scenarios > 0`` the sample-average variant (on-time share over sampled scenarios ``>= beta``) is used.

``auto`` picks ``arc`` for deterministic and ``routes`` for stochastic problems.

The status is honest: ``optimal`` only when the solver itself reports optimality and its dual bound closes the gap.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from hospital_or.monte_carlo import sample_truncated_noise
from hospital_or.problem import Problem
from hospital_or.solution import Solution
from solvers.mip import build_arc_model, build_arcs, extract_plan, solve, warm_start_values
from solvers.mip.backends import BACKENDS, BackendResult
from solvers.mip.model import Column, build_set_partitioning_model
from solvers.route_enumeration import Scenarios, enumerate_plans

FORMULATIONS = ("auto", "arc", "routes")
STATUSES = ("optimal", "feasible", "infeasible", "time_limit", "no_solution")


@dataclass
class MIPResult:
    """Outcome of :func:`solve_mip`.

    Attributes
    ----------
    status
        ``optimal`` (proven, zero gap), ``feasible`` (solution, gap open), ``infeasible`` (proven), ``time_limit``
        (stopped by the limit, with or without a solution) or ``no_solution``.
    objective
        ``fixed_cost * vehicles + cost_per_distance * distance`` of the plan (``nan`` without one).
    bound
        Proven lower bound (``nan`` if unknown).
    gap
        ``(objective - bound) / objective``.
    vehicles, distance
        AMRs used and total distance of the plan.
    runtime_s
        Wall-clock time including preprocessing.
    solution
        The plan, or ``None``.
    """

    status: str
    objective: float
    bound: float
    gap: float
    vehicles: int
    distance: float
    runtime_s: float
    solution: Solution | None
    backend: str
    formulation: str
    solver_status: str
    n_variables: int
    n_constraints: int
    n_arcs: int = 0
    n_columns: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the ``hospital-or mip --format json`` contract)."""

        def num(v: float) -> float | None:
            return float(v) if v is not None and math.isfinite(v) else None

        return {
            "status": self.status,
            "objective": num(self.objective),
            "bound": num(self.bound),
            "gap": num(self.gap),
            "vehicles": int(self.vehicles),
            "distance": num(self.distance),
            "runtime_s": float(self.runtime_s),
            "backend": self.backend,
            "formulation": self.formulation,
            "solver_status": self.solver_status,
            "variables": self.n_variables,
            "constraints": self.n_constraints,
            "arcs": self.n_arcs,
            "columns": self.n_columns,
        }


def sample_scenarios(problem: Problem, samples: int, rng: np.random.Generator) -> Scenarios:
    """Draw ``samples`` scenarios of all arc travel times and service times (spec section 2.4 distributions).

    Travel ``(distance / speed) (1 + eps)``, ``eps ~ N(0, cv_travel^2)`` truncated at -0.9, plus the elevator ride
    and a ``Uniform[0, wait_max]`` wait when floors differ; service ``N(s, (cv_service s)^2)`` truncated at 0.
    """
    n_nodes = problem.n_nodes
    dist = np.asarray(problem.distance_matrix, dtype=float)
    base = dist / problem.fleet.speed
    cv_t, cv_s = problem.stochastic.cv_travel, problem.stochastic.cv_service
    eps = sample_truncated_noise(rng, cv_t, samples * n_nodes * n_nodes, -0.9).reshape(samples, n_nodes, n_nodes)
    travel = base[None, :, :] * (1.0 + eps)
    if problem.elevator is not None:
        e = problem.elevator
        floors = np.array(
            [problem.depot.floor, *(r.floor for r in problem.requests), *(s.floor for s in problem.stations)]
        )
        dfloor = np.abs(floors[:, None] - floors[None, :])
        change = dfloor > 0
        ride = np.where(change, e.ride_fixed + e.ride_per_floor * dfloor, 0.0)
        wait = rng.uniform(0.0, e.wait_max, size=(samples, n_nodes, n_nodes)) if e.wait_max > 0 else 0.0
        travel = travel + ride[None] + np.where(change[None], wait, 0.0)
    service_mean = np.array([0.0, *(r.service for r in problem.requests), *(0.0 for _ in problem.stations)])
    noise = sample_truncated_noise(rng, cv_s, samples * n_nodes, -1.0).reshape(samples, n_nodes)
    service = service_mean[None, :] * (1.0 + noise)
    return Scenarios(travel=travel, service=service)


def solve_mip(
    problem: Problem,
    backend: str = "pulp-highs",
    time_limit: float = 60.0,
    formulation: str = "auto",
    max_chain: int = 3,
    warm_start: Solution | None = None,
    saa_scenarios: int = 0,
    rng: np.random.Generator | None = None,
    threads: int = 1,
    verbose: bool = False,
) -> MIPResult:
    """Solve ``problem`` to proven optimality (or until ``time_limit``) with a MIP.

    Parameters
    ----------
    problem
        The routing problem (hard time windows, every request served).
    backend
        ``pulp-cbc``, ``pulp-highs`` or ``ortools``.
    time_limit
        Solver time limit in seconds.
    formulation
        ``auto``, ``arc`` (deterministic only) or ``routes`` (enumerated AMR plans; small instances).
    max_chain
        Most charging stations in a row between two requests.
    warm_start
        A known feasible plan handed to the solver as a start (arc formulation).
    saa_scenarios
        ``> 0``: routes formulation with the sample-average chance constraint on this many scenarios.
    rng
        Generator for the SAA scenarios (required when ``saa_scenarios > 0``).
    threads
        Solver threads.
    verbose
        Show the solver log.

    Raises
    ------
    ValueError
        Unknown back-end/formulation, soft windows or rejection costs, or the arc formulation on a stochastic
        problem.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown MIP back-end {backend!r}; choose one of {', '.join(BACKENDS)}")
    if formulation not in FORMULATIONS:
        raise ValueError(f"unknown formulation {formulation!r}; choose one of {', '.join(FORMULATIONS)}")
    if formulation == "auto":
        formulation = "routes" if (problem.is_stochastic or saa_scenarios > 0) else "arc"
    if formulation == "arc" and (problem.is_stochastic or saa_scenarios > 0):
        raise ValueError("the arc formulation is deterministic; use formulation='routes' for stochastic problems")
    if not problem.hard_time_windows or problem.rejection_costs is not None:
        raise ValueError("the MIP models hard time windows with every request served (no lateness or rejection costs)")
    if saa_scenarios > 0 and rng is None:
        raise ValueError("saa_scenarios needs a seeded numpy Generator (rng)")
    start = time.perf_counter()
    ra = problem.to_arrays()
    if formulation == "arc":
        arcs = build_arcs(ra, max_chain=max_chain)
        am = build_arc_model(ra, arcs)
        hint = warm_start_values(am, warm_start.to_index_routes(problem), ra.n_requests) if warm_start else None
        remaining = max(1.0, time_limit - (time.perf_counter() - start))
        res = solve(am.model, backend, remaining, warm_start=hint or None, threads=threads, verbose=verbose)
        amr_trips = extract_plan(am, res.values) if res.values is not None else None
        return _result(problem, res, amr_trips, backend, "arc", start, am.model, n_arcs=len(arcs))
    scenarios = sample_scenarios(problem, saa_scenarios, rng) if saa_scenarios > 0 else None
    plans = enumerate_plans(ra, max_chain=max_chain, scenarios=scenarios)
    masks = sorted(plans.distance)
    columns = [
        Column(
            frozenset(i + 1 for i in range(ra.n_requests) if mask >> i & 1),
            ra.fixed_cost + ra.cost_per_distance * plans.distance[mask],
            plans.plan[mask],
        )
        for mask in masks
    ]
    model = build_set_partitioning_model(columns, ra.n_requests, ra.max_vehicles)
    remaining = max(1.0, time_limit - (time.perf_counter() - start))
    res = solve(model, backend, remaining, threads=threads, verbose=verbose)
    amr_trips = None
    if res.values is not None:
        amr_trips = [[list(t) for t in columns[k].trips if t] for k in range(len(columns)) if res.values[k] > 0.5]
    return _result(problem, res, amr_trips, backend, "routes", start, model, n_columns=len(columns))


def _result(problem, res: BackendResult, amr_trips, backend, formulation, start, model, **sizes) -> MIPResult:
    solution = Solution.from_index_routes(problem, amr_trips) if amr_trips is not None else None
    distance = math.nan
    vehicles = 0
    if solution is not None:
        dist = problem.distance_matrix
        index = problem.node_index
        distance = 0.0
        for trip in solution.trips:
            path = [0, *(index[v] for v in trip.visits), 0]
            distance += float(sum(dist[a, b] for a, b in itertools.pairwise(path)))
        vehicles = solution.num_vehicles
    return MIPResult(
        status=res.status,
        objective=res.objective,
        bound=res.bound,
        gap=res.gap,
        vehicles=vehicles,
        distance=distance,
        runtime_s=time.perf_counter() - start,
        solution=solution,
        backend=backend,
        formulation=formulation,
        solver_status=res.solver_status,
        n_variables=len(model.variables),
        n_constraints=len(model.rows),
        **sizes,
    )
