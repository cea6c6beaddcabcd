"""The two-stage dynamic problem (spec 3.1-3.3): cost model, stage-1 plan and the hindsight plan.

- :func:`dynamic_problem` turns an instance into the dynamic model of spec 3.2: deterministic times (spec 3.1; a
  random elevator wait is replaced by its mean), soft time windows priced ``w_p`` per time unit of lateness,
  rejection allowed at ``Lambda_p``, ``c_p`` per AMR and ``c_t`` per distance unit; priorities drawn i.i.d. from the
  priority mix when the file carries none.
- :func:`stage1_plan` plans the requests known at the start of the day (``reveal <= depot.ready``) by tabu search
  (:mod:`solvers.tabu`); its AMRs are ``m1``. With ``params.forecast = "resample"`` (the default) the plan is made
  for the known requests *plus forecast requests* (:func:`forecast_requests`): as many as the day's volume forecast
  (the number of requests revealed later, times ``forecast_scale``), each a copy of a known request drawn at random
  with the time window of a nearby known request (a bootstrap of the known demand). The forecast requests are then
  taken out of the plan. They reserve room in the prior routes where later requests are likely to appear and make
  ``m1`` the fleet the whole day needs, so the prior routes look like the full-information plan instead of packing
  the known requests into the fewest AMRs (multiple-scenario planning in the spirit of Bent and Van Hentenryck,
  2004, with one bootstrap scenario; our reconstruction, not in spec 3.3).
- :func:`hindsight_plan` is the same instance with every request known in advance: the tabu search plans all
  requests, once with the reveal times ignored and once with each reveal time turned into a window opening
  (:func:`released_windows`: no arrival before the reveal plus the shortest travel into the request; only when
  that moves a window), multi-trip problems also with one trip per AMR (``hindsight_restarts`` independent
  searches per variant, the cheapest checked plan is kept); every
  trip is then delayed just enough that no AMR leaves for a request before it is revealed (the checker's
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
from hospital_or.problem import Problem, Request, StochasticModel
from hospital_or.report import Report
from hospital_or.solution import AMRPlan, Solution, Trip
from hospital_or.solve import initial_trips
from solvers.tabu import TabuParams, tabu_search

__all__ = [
    "StagePlan",
    "assign_priorities",
    "cost_components",
    "day_slack",
    "dynamic_problem",
    "forecast_requests",
    "hindsight_generator",
    "hindsight_plan",
    "known_requests",
    "released_windows",
    "stage1_plan",
]

#: Prefix of the ids of forecast requests (they never leave :func:`stage1_plan`).
FORECAST_PREFIX = "~forecast-"
#: A forecast request takes the time window of one of this many known requests nearest to its location.
FORECAST_NEIGHBOURS = 3


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
    #: fleets of the extra forecast samples of the morning check (``params.safety_check_scenarios``)
    check_fleets: tuple[int, ...] = ()
    #: share of the day left after the AMRs' last returns in the forecast plans, averaged over AMRs and over the
    #: plan and the check samples (:func:`day_slack`; NaN without a forecast)
    day_slack: float = math.nan

    def time_ample(self, params: DynamicParams) -> bool:
        """True when time is not short today: ``day_slack >= params.ample_day_slack`` (False without a forecast)."""
        return math.isfinite(self.day_slack) and self.day_slack >= params.ample_day_slack

    def safety_stock(self, params: DynamicParams) -> int:
        """Spare AMRs to buy beyond ``amrs``: ``params.safety_stock`` adjusted by the morning check
        (``params.safety_check_rule``, applied only with ``safety_check_scenarios > 0`` and check fleets):

        - ``"below"``: one less (at least 0) when one of the check samples needs fewer AMRs than ``amrs`` (the plan
          already covers more than a typical day);
        - ``"agree"``: one less (at least 0) when every check sample needs exactly ``amrs`` AMRs (the forecast is
          certain: the spare is bought only where the samples disagree);
        - ``"above"``: one more when one of the check samples needs more AMRs than ``amrs`` (the spare is bought
          only where a sample says the plan may be short);
        - ``"max"``: as many more as the largest check sample needs beyond ``amrs`` (the fleet covers every sample,
          plus ``s``).

        The check adds no AMR on a time-ample day (:meth:`time_ample`): the forecast plans' AMRs are back well
        before the end of the day, so a day busier than the plan is absorbed by working into that slack (waiting
        and lateness) rather than by denials.
        """
        s = params.safety_stock
        fleets = self.check_fleets
        if params.safety_check_scenarios <= 0 or not fleets:
            return s
        if self.time_ample(params) and params.safety_check_rule in ("above", "max"):
            return s
        rule = params.safety_check_rule
        if rule == "below":
            return max(0, s - 1) if min(fleets) < self.amrs else s
        if rule == "agree":
            return max(0, s - 1) if all(f == self.amrs for f in fleets) else s
        if rule == "above":
            return s + 1 if max(fleets) > self.amrs else s
        if rule == "max":
            return s + max(0, max(fleets) - self.amrs)
        raise ValueError(f"safety_check_rule {rule!r} not understood (below, agree, above, max)")


def _tabu_plan(problem: Problem, rng: np.random.Generator, iterations: int, time_limit: float | None,
               initial: Solution | None = None) -> StagePlan:
    if problem.n_requests == 0:
        return StagePlan(Solution(()), 0, 0.0, 0.0, 0)
    arrays = problem.to_arrays()
    params = TabuParams(max_iterations=iterations, max_no_improve=max(1, min(1000, iterations)),
                        time_limit=time_limit)
    result = tabu_search(arrays, rng, params, initial=initial_trips(problem, initial))
    if result.best is None:
        raise RuntimeError(f"{problem.name}: the tabu search found no feasible plan")
    solution = Solution.from_index_routes(problem, result.best.amrs)
    return StagePlan(solution, solution.num_vehicles, float(result.best.cost), result.runtime, result.iterations)


def forecast_requests(problem: Problem, params: DynamicParams, rng: np.random.Generator) -> tuple[Request, ...]:
    """Forecast requests for the stage-1 plan: a bootstrap sample of the known requests.

    Their number is ``round(forecast_scale * n_later)``, with ``n_later`` the requests revealed after the start of
    the day (a volume forecast). Each copies a known request ``k`` drawn uniformly with replacement (location,
    floor, demand, service time) and takes the time window of one of the ``FORECAST_NEIGHBOURS`` known
    requests nearest to ``k`` (drawn uniformly; ``k``'s own window when that one cannot be met at ``k``'s
    location): exact twins of a known request would need a second AMR at the same place and time, which later
    requests, at other places with other windows, do not. Its priority is ``params.forecast_priority`` (default 3,
    routine: a clash of borrowed windows is priced at ``w_3``), or ``k``'s when that is 0. Forecast requests are
    known from the start. None when ``params.forecast == "none"`` or nothing is known.
    """
    if params.forecast == "none":
        return ()
    t0 = problem.depot.ready
    known = [r for r in problem.requests if r.reveal <= t0]
    n_later = problem.n_requests - len(known)
    count = round(params.forecast_scale * n_later)
    if not known or count <= 0:
        return ()
    index = problem.node_index
    at = np.array([index[r.id] for r in known])
    dist = problem.distance_matrix[np.ix_(at, at)].copy()
    np.fill_diagonal(dist, np.inf)  # a request is not its own neighbour
    n_near = min(FORECAST_NEIGHBOURS, len(known) - 1)
    near = np.argsort(dist, axis=1, kind="stable")[:, :n_near]
    ghosts = []
    for i, k in enumerate(rng.integers(len(known), size=count)):
        base = known[int(k)]
        ready, due = base.ready, base.due
        if n_near > 0:
            other = known[int(near[k, int(rng.integers(n_near))])]
            arrival, back = problem.earliest_arrival_and_return(int(at[k]), other.ready, base.service)
            if other.due >= arrival and back <= problem.depot.horizon:
                ready, due = other.ready, other.due
        priority = params.forecast_priority or base.priority
        ghosts.append(dataclasses.replace(base, id=f"{FORECAST_PREFIX}{i}", reveal=0.0, ready=ready, due=due,
                                          priority=priority))
    return tuple(ghosts)


def _drop_requests(solution: Solution, ids: set[str], stations: set[str]) -> Solution:
    """``solution`` without the visits in ``ids``; trips left with stations only, and AMRs left empty, are dropped."""
    amrs = []
    for plan in solution.amrs:
        trips = []
        for trip in plan.trips:
            visits = tuple(v for v in trip.visits if v not in ids)
            if any(v not in stations for v in visits):
                trips.append(Trip(visits, trip.earliest_start))
        if trips:
            amrs.append(AMRPlan(tuple(trips)))
    return Solution(tuple(amrs), tuple(r for r in solution.rejected if r not in ids))


def stage1_plan(problem: Problem, params: DynamicParams, rng: np.random.Generator) -> StagePlan:
    """Tabu-search plan of the requests known in advance (spec 3.3) of the dynamic ``problem``.

    With a forecast (``params.forecast``, see the module docstring) the search plans the known requests together
    with :func:`forecast_requests`; ``m1`` (``StagePlan.amrs``) counts the AMRs of that plan, and the returned
    solution holds the known requests only. With ``params.forecast_scenarios = k > 1`` it plans ``k`` independent
    forecast samples (one spawned stream each) and keeps the plan whose fleet is the (lower) median of the ``k``
    fleets, the cheapest of those. With ``params.stage1_routes = "known"`` (or ``"polish"``) the forecast plan only
    sizes the fleet: the known requests are then routed again by the tabu search on at most ``m1`` AMRs with the
    purchase sunk (fixed cost 0: distance and lateness decide, so the routes follow the geography of the known
    requests instead of the bootstrap sample's; ``"polish"`` starts from the forecast plan's routes). The forecast
    routes are kept when that search finds no plan. That search draws from a stream of its own (spawned from
    ``rng``), so a setting that changes only the fleet sizing leaves the routes alone when ``m1`` is the same.
    """
    known = known_requests(problem)
    # the routing of the known requests draws from its own stream: it does not move when the fleet sizing (the
    # forecast samples and their searches) draws more or fewer numbers (common random numbers across settings)
    route_rng, rng = rng.spawn(2)
    if params.forecast == "none" or params.forecast_scenarios == 1:
        chosen = _forecast_plan(problem, known, params, rng)
        runtime = chosen.runtime
    else:
        plans = [_forecast_plan(problem, known, params, stream) for stream in rng.spawn(params.forecast_scenarios)]
        fleets = sorted(plan.amrs for plan in plans)
        median = fleets[(len(fleets) - 1) // 2]
        chosen = min((plan for plan in plans if plan.amrs == median), key=lambda plan: plan.cost)
        runtime = sum(plan.runtime for plan in plans)
    check: tuple[int, ...] = ()
    slacks = [chosen.day_slack]
    if params.safety_check_scenarios > 0 and params.forecast != "none":
        # morning check of the fleet: more independent forecast samples, planned for their fleets only
        extra = [_forecast_plan(problem, known, params, stream) for stream in rng.spawn(params.safety_check_scenarios)]
        check = tuple(plan.amrs for plan in extra)
        runtime += sum(plan.runtime for plan in extra)
        slacks += [plan.day_slack for plan in extra]
    chosen = dataclasses.replace(chosen, day_slack=float(np.mean(slacks)))
    if params.stage1_routes != "forecast" and params.forecast != "none" and chosen.amrs > 0:
        # the fleet m1 is bought: route the known requests on at most m1 AMRs with the purchase sunk
        sunk = known.replace(fleet=dataclasses.replace(known.fleet, fixed_cost=0.0, max_vehicles=chosen.amrs))
        start = chosen.solution if params.stage1_routes == "polish" else None
        try:
            routed = _tabu_plan(sunk, route_rng, params.stage1_iterations, params.stage1_time_limit or None, start)
        except RuntimeError:  # no plan within m1 AMRs found: keep the forecast plan's routes
            routed = None
        if routed is not None and routed.amrs <= chosen.amrs:
            runtime += routed.runtime
            chosen = dataclasses.replace(chosen, solution=routed.solution)
    return dataclasses.replace(chosen, runtime=runtime, check_fleets=check)


def _forecast_plan(problem: Problem, known: Problem, params: DynamicParams, rng: np.random.Generator) -> StagePlan:
    """Stage-1 plan of the ``known`` requests with one forecast sample drawn from ``rng`` (see :func:`stage1_plan`)."""
    forecast = forecast_requests(problem, params, rng)
    if not forecast:
        return _tabu_plan(known, rng, params.stage1_iterations, params.stage1_time_limit or None)
    requests = known.requests + forecast
    fleet = dataclasses.replace(known.fleet, max_vehicles=max(known.fleet.max_vehicles, len(requests)))
    with_forecast = known.replace(requests=requests, fleet=fleet)
    plan = _tabu_plan(with_forecast, rng, params.stage1_iterations, params.stage1_time_limit or None)
    solution = _drop_requests(plan.solution, {r.id for r in forecast}, {s.id for s in problem.stations})
    return StagePlan(solution, plan.amrs, plan.cost, plan.runtime, plan.iterations,
                     day_slack=day_slack(with_forecast, plan.solution))


def day_slack(problem: Problem, solution: Solution) -> float:
    """Share of the day left after each AMR's last return, averaged over the AMRs of ``solution`` (checked on
    ``problem``; NaN without AMRs). Near 0 when every AMR works to the end of the day (time is short)."""
    report = check(problem, solution)
    back: dict[int, float] = {}
    for rec in report.schedule:
        back[rec.amr] = max(back.get(rec.amr, -math.inf), rec.end)
    day = problem.depot.horizon - problem.depot.ready
    if not back or day <= 0:
        return math.nan
    return float(np.mean([max(0.0, problem.depot.horizon - end) / day for end in back.values()]))


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


def hindsight_generator(seed: int) -> np.random.Generator:
    """The generator of a run's hindsight plan: its own stream of ``seed``, so the reference plan does not move
    when stage-1 parameters (which draw from the run's main generator) change."""
    return np.random.default_rng([int(seed), 3])


def released_windows(problem: Problem) -> Problem:
    """``problem`` with every reveal time turned into a window opening, and the reveal times then set to 0.

    An AMR may leave for request ``j`` no earlier than its reveal time, so it arrives no earlier than ``reveal_j``
    plus the shortest travel time into ``j`` from any node; the window of ``j`` opens at that time when it is later
    than ``ready_j`` (capped at ``due_j``: a request revealed too late to be met on time stays servable, late). Every
    plan that respects the reveal times also respects these windows, so the search still sees every such plan, while
    its plans need smaller delays for the reveals (see :func:`hindsight_plan`).
    """
    travel = np.array(problem.travel_time_matrix, dtype=float, copy=True)
    np.fill_diagonal(travel, np.inf)
    index = problem.node_index
    requests = []
    for r in problem.requests:
        ready = r.ready
        if r.reveal > 0.0:
            ready = min(max(r.ready, r.reveal + float(travel[:, index[r.id]].min())), max(r.ready, r.due))
        requests.append(dataclasses.replace(r, reveal=0.0, ready=ready))
    return problem.replace(requests=tuple(requests))


def hindsight_plan(problem: Problem, params: DynamicParams, rng: np.random.Generator) -> tuple[Solution, Report]:
    """The full-information plan of the dynamic ``problem`` (see the module docstring) and its checker report."""
    everything = problem.replace(requests=tuple(dataclasses.replace(r, reveal=0.0) for r in problem.requests))
    variants = [everything]
    released = released_windows(problem)
    if any(a.ready != b.ready for a, b in zip(released.requests, everything.requests, strict=True)):
        variants.append(released)
    if problem.fleet.max_trips > 1:
        # one trip per AMR is also a valid plan; the search prices the fleet exactly only in that case
        # (one trip per AMR may need more AMRs than the multi-trip fleet limit: up to one per request)
        single = dataclasses.replace(everything.fleet, max_trips=1,
                                     max_vehicles=max(everything.fleet.max_vehicles, everything.n_requests))
        variants += [variant.replace(fleet=single) for variant in variants]
    best: tuple[Solution, Report] | None = None
    for variant in variants:
        for stream in rng.spawn(params.hindsight_restarts):
            try:
                plan = _tabu_plan(variant, stream, params.hindsight_iterations, None)
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
