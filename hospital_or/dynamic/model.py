"""The two-stage dynamic problem (spec 3.1-3.3): cost model, stage-1 plan and the hindsight plan.

- :func:`dynamic_problem` turns an instance into the dynamic model of spec 3.2: deterministic times (spec 3.1; a
  random elevator wait is replaced by its mean), soft time windows priced ``w_p`` per time unit of lateness,
  rejection allowed at ``Lambda_p``, ``c_p`` per AMR and ``c_t`` per distance unit; priorities drawn i.i.d. from the
  priority mix when the file carries none.
- :func:`stage1_plan` plans the requests known at the start of the day (``reveal <= depot.ready``) by tabu search
  (:mod:`solvers.tabu`); its AMRs are ``m1``.
- :func:`hindsight_plan` is the same instance with every request known in advance: the tabu search plans all
  requests (reveal times ignored; multi-trip problems also try one trip per AMR and keep the cheaper plan), then
  every trip is delayed just enough that no AMR leaves for a request before it is revealed (the checker's
  ``respect_reveal_times`` rule; a later start only delays the trip). Its cost, with the fleet it uses, is the
  full-information reference each dynamic run reports its gap to. It is a heuristic plan, not a proven lower
  bound: a dynamic policy may beat it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from hospital_or.checker import check
from hospital_or.dynamic.params import DynamicParams
from hospital_or.problem import Problem, StochasticModel
from hospital_or.report import Report
from hospital_or.solution import AMRPlan, Solution, Trip
from solvers.tabu import TabuParams, tabu_search

__all__ = [
    "StagePlan",
    "assign_priorities",
    "cost_components",
    "dynamic_problem",
    "hindsight_plan",
    "known_requests",
    "stage1_plan",
]


def assign_priorities(problem: Problem, mix: tuple[float, float, float], rng: np.random.Generator) -> Problem:
    """Draw every request's priority i.i.d. from ``mix`` (shares of priority 1, 2, 3), in problem order."""
    draws = rng.choice(3, size=problem.n_requests, p=np.asarray(mix, dtype=float)) + 1
    requests = tuple(dataclasses.replace(r, priority=int(p)) for r, p in zip(problem.requests, draws, strict=True))
    return problem.replace(requests=requests)


def dynamic_problem(problem: Problem, params: DynamicParams, rng: np.random.Generator,
                    max_vehicles: int | None = None) -> Problem:
    """The dynamic model of ``problem`` under ``params`` (see the module docstring).

    Parameters
    ----------
    problem
        A static or dynamic instance (reveal times are kept).
    params
        Cost model; ``assign_priorities`` decides whether priorities are drawn (``"auto"``: only when every request
        has priority 3, i.e. the file carries none).
    rng
        Used only to draw priorities.
    max_vehicles
        Fleet limit of the model (default: the instance's).
    """
    out = problem
    flat = all(r.priority == 3 for r in problem.requests)
    if params.assign_priorities == "always" or (params.assign_priorities == "auto" and flat):
        out = assign_priorities(out, params.priority_mix, rng)
    fleet = dataclasses.replace(
        out.fleet,
        fixed_cost=float(params.purchase_cost),
        cost_per_distance=float(params.transport_cost),
        max_vehicles=int(max_vehicles if max_vehicles is not None else out.fleet.max_vehicles),
        max_trips=int(params.max_trips or out.fleet.max_trips),
    )
    elevator = out.elevator
    if elevator is not None and elevator.wait_max > 0:
        # deterministic times: the mean elevator wait becomes part of the fixed ride time
        elevator = dataclasses.replace(elevator, ride_fixed=elevator.ride_fixed + 0.5 * elevator.wait_max,
                                       wait_max=0.0)
    return out.replace(
        fleet=fleet,
        elevator=elevator,
        stochastic=StochasticModel(),
        lateness_weights=tuple(float(w) for w in params.lateness_weights),
        rejection_costs=tuple(float(c) for c in params.denial_costs),
    )


def known_requests(problem: Problem) -> Problem:
    """The stage-1 problem: only the requests known at the start of the day (``reveal <= depot.ready``)."""
    t0 = problem.depot.ready
    return problem.replace(requests=tuple(r for r in problem.requests if r.reveal <= t0))


@dataclass
class StagePlan:
    """A plan of the tabu search with its AMR count and runtime."""

    solution: Solution
    amrs: int
    cost: float
    runtime: float
    iterations: int


def _tabu_plan(problem: Problem, rng: np.random.Generator, iterations: int, time_limit: float | None) -> StagePlan:
    if problem.n_requests == 0:
        return StagePlan(Solution(()), 0, 0.0, 0.0, 0)
    arrays = problem.to_arrays()
    params = TabuParams(max_iterations=iterations, max_no_improve=max(1, min(1000, iterations)),
                        time_limit=time_limit)
    result = tabu_search(arrays, rng, params)
    if result.best is None:
        raise RuntimeError(f"{problem.name}: the tabu search found no feasible plan")
    solution = Solution.from_index_routes(problem, result.best.amrs)
    return StagePlan(solution, solution.num_vehicles, float(result.best.cost), result.runtime, result.iterations)


def stage1_plan(problem: Problem, params: DynamicParams, rng: np.random.Generator) -> StagePlan:
    """Tabu-search plan of the requests known in advance (spec 3.3) of the dynamic ``problem``."""
    return _tabu_plan(known_requests(problem), rng, params.stage1_iterations, params.stage1_time_limit or None)


def _delay_for_reveals(problem: Problem, solution: Solution) -> Solution:
    """Delay each trip's start until no AMR leaves for a request before its reveal time (fixed point)."""
    amrs = []
    for plan in solution.amrs:
        trips = list(plan.trips)
        for t in range(len(trips)):
            for _ in range(len(trips[t].visits) + 2):
                probe = Solution((AMRPlan(tuple(trips)),))
                report = check(problem, probe, respect_reveal_times=True)
                shortfall = 0.0
                for rec in report.schedule:
                    if rec.trip != t:
                        continue
                    prev_departure = rec.start
                    for v in rec.visits:
                        if v.kind == "request":
                            r = problem.request(v.node)
                            shortfall = max(shortfall, r.reveal - prev_departure)
                        prev_departure = v.departure
                if shortfall <= 1e-9:
                    break
                start = next(rec.start for rec in report.schedule if rec.trip == t)
                trips[t] = Trip(trips[t].visits, earliest_start=start + shortfall)
        amrs.append(AMRPlan(tuple(trips)))
    return Solution(tuple(amrs), solution.rejected)


def hindsight_plan(problem: Problem, params: DynamicParams, rng: np.random.Generator) -> tuple[Solution, Report]:
    """The full-information plan of the dynamic ``problem`` (see the module docstring) and its checker report."""
    everything = problem.replace(requests=tuple(dataclasses.replace(r, reveal=0.0) for r in problem.requests))
    variants = [everything]
    if problem.fleet.max_trips > 1:
        # one trip per AMR is also a valid plan; the search prices the fleet exactly only in that case
        variants.append(everything.replace(fleet=dataclasses.replace(everything.fleet, max_trips=1)))
    best: tuple[Solution, Report] | None = None
    for variant in variants:
        try:
            plan = _tabu_plan(variant, rng, params.hindsight_iterations, None)
        except RuntimeError:
            continue
        solution = _delay_for_reveals(problem, plan.solution)
        report = check(problem, solution, respect_reveal_times=True)
        if best is None or (report.feasible, -report.cost) > (best[1].feasible, -best[1].cost):
            best = (solution, report)
    if best is None:
        raise RuntimeError(f"{problem.name}: no full-information plan found")
    return best


def cost_components(problem: Problem, report: Report, purchased: int) -> dict[str, float]:
    """Spec 3.2 components: ``purchase = c_p M``, ``transport = c_t distance``, ``delay``, ``denial``."""
    return {
        "purchase": float(problem.fleet.fixed_cost) * int(purchased),
        "transport": float(report.costs.get("distance", 0.0)),
        "delay": float(report.costs.get("lateness", 0.0)),
        "denial": float(report.costs.get("rejection", 0.0)),
    }


def finite_or_none(x: float) -> float | None:
    """JSON-safe number."""
    return float(x) if math.isfinite(x) else None
