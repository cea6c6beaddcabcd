"""The independent checker: recompute a plan's schedule from the problem and report every violated constraint.

The checker implements the rules of ``docs/semantics.md`` in plain Python. It shares no evaluation code with the
routing engines in :mod:`solvers` (which implement the same rules separately in Numba), so the two check each other.
It reads the problem's data (distances, expected travel times and their variances, time windows, fleet parameters)
and nothing else.

What it computes, per visit: arrival, start of service, wait, departure, load on board, state of charge on arrival
and departure, recharge time, lateness and (stochastic problems) the standard deviation of the arrival time and the
on-time probability. Per plan: the number of AMRs and trips, the distance, the cost components and the list of
violations (kinds in :data:`hospital_or.report.VIOLATION_KINDS`).

Stochastic problems are evaluated analytically (spec section 2.4, back-end E1): arrival times are propagated as
normal variables, the start of service ``max(ready, arrival)`` by Clark's moment matching, and every request must
satisfy the chance constraint ``mean + z_beta * sd <= due``. With ``monte_carlo > 0`` the on-time rates are also
estimated by a seeded simulation with common random numbers (:mod:`hospital_or.monte_carlo`).
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from hospital_or.problem import Problem
from hospital_or.report import Report, TripRecord, Violation, VisitRecord
from hospital_or.solution import Solution

#: Absolute tolerance of every comparison (time, load and energy units), as in ``docs/semantics.md``.
TOLERANCE = 1e-6

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

__all__ = [
    "TOLERANCE",
    "check",
    "clark_max",
    "expected_lateness",
    "normal_cdf",
    "normal_pdf",
]


# ---------------------------------------------------------------------------------------------- normal helpers
def normal_cdf(x: float) -> float:
    """Standard normal distribution function Phi(x)."""
    return 0.5 * math.erfc(-x / _SQRT2)


def normal_pdf(x: float) -> float:
    """Standard normal density phi(x)."""
    return _INV_SQRT_2PI * math.exp(-0.5 * x * x)


def clark_max(mean: float, variance: float, threshold: float) -> tuple[float, float]:
    """Mean and variance of ``max(threshold, A)`` for ``A ~ N(mean, variance)`` (Clark's moment matching).

    Parameters
    ----------
    mean, variance
        Moments of the arrival time ``A``.
    threshold
        The constant ``e`` (ready time of the request).

    Returns
    -------
    (float, float)
        ``E[S]`` and ``Var S`` of ``S = max(e, A)``. With zero variance, ``(max(e, mean), 0)``.

    Notes
    -----
    With ``a = (mean - e) / sd``: ``E[S] = mean Phi(a) + e Phi(-a) + sd phi(a)`` and
    ``E[S^2] = (mean^2 + variance) Phi(a) + e^2 Phi(-a) + (mean + e) sd phi(a)``.
    The moments are computed about ``e`` (shifting by a constant leaves the variance unchanged), and the variance
    in the rearranged form ``sd^2 (Phi + a^2 Phi(a) Phi(-a) + a phi (Phi(-a) - Phi(a)) - phi^2)``, to avoid
    cancellation when the times are large compared with their spread.
    """
    if variance <= 0.0:
        return max(threshold, mean), 0.0
    sd = math.sqrt(variance)
    m = mean - threshold  # shift: S - e = max(0, A - e)
    a = m / sd
    big_phi, small_phi, upper = normal_cdf(a), normal_pdf(a), normal_cdf(-a)
    first = m * big_phi + sd * small_phi
    # E[S'^2] - E[S']^2 rearranged so that no two large terms cancel (with Phi(-a) computed, not 1 - Phi(a)):
    # Var = sd^2 (Phi(a) + a^2 Phi(a) Phi(-a) + a phi(a) (Phi(-a) - Phi(a)) - phi(a)^2), at most sd^2
    var_s = variance * (big_phi + a * a * big_phi * upper + a * small_phi * (upper - big_phi) - small_phi * small_phi)
    return threshold + max(first, 0.0), min(max(0.0, var_s), variance)


def expected_lateness(mean: float, variance: float, due: float) -> float:
    """``E[(A - due)^+]`` for ``A ~ N(mean, variance)``; ``max(0, mean - due)`` when the variance is zero.

    With ``z = (due - mean) / sd``: ``sd phi(z) + (mean - due) (1 - Phi(z))`` (spec section 2.4).
    """
    if variance <= 0.0:
        return max(0.0, mean - due)
    sd = math.sqrt(variance)
    z = (due - mean) / sd
    return max(0.0, sd * normal_pdf(z) + (mean - due) * (1.0 - normal_cdf(z)))


# ---------------------------------------------------------------------------------------------- checker
@dataclass
class _Context:
    """Problem data in plain Python form plus the running violation list."""

    problem: Problem
    distance: np.ndarray
    travel_mean: np.ndarray
    travel_var: np.ndarray
    n_requests: int
    index: dict[str, int]
    z_beta: float
    stochastic: bool
    hard_windows: bool
    battery: float  # math.inf without batteries
    min_soc: float
    energy_rate: float
    recharge_rate: float
    respect_reveal_times: bool
    violations: list[Violation] = field(default_factory=list)

    def add(self, kind: str, request: str | None, detail: str, amr: int | None = None, trip: int | None = None) -> None:
        self.violations.append(Violation(kind, request, detail, amr, trip))


def check(
    problem: Problem,
    solution: Solution,
    *,
    respect_reveal_times: bool = False,
    monte_carlo: int = 0,
    seed: int | np.random.Generator | None = None,
) -> Report:
    """Recompute the schedule of ``solution`` on ``problem`` and report feasibility, violations and costs.

    Parameters
    ----------
    problem
        The routing problem.
    solution
        The plan (AMRs -> trips -> visits, plus rejected requests).
    respect_reveal_times
        Dynamic plans: also require that an AMR leaves for a request no earlier than the request's reveal time
        (``reveal`` violations).
    monte_carlo
        Number of Monte Carlo scenarios for the empirical on-time rates (0 = analytic evaluation only).
    seed
        Seed of the Monte Carlo scenarios (an ``int``, a ``numpy.random.Generator`` from which one seed is drawn,
        or ``None`` for fresh entropy; the seed actually used is stored in ``Report.monte_carlo_seed`` so the run
        can be repeated).

    Returns
    -------
    Report
        ``feasible`` is True when no constraint is violated. ``schedule`` holds one :class:`TripRecord` per
        non-empty trip, each with one :class:`VisitRecord` per known visit plus the closing depot return.

    Notes
    -----
    Visits naming unknown nodes are reported (``unknown_node``) and skipped in the schedule: the AMR travels from
    the previous known node to the next one. Empty trips are ignored (they are not trips of the plan). In
    stochastic problems the times of the records are expected values; the chance constraint replaces the
    deterministic ``time_window`` check (hard windows only; with soft windows expected lateness is priced).
    """
    if monte_carlo < 0:
        raise ValueError(f"monte_carlo must be >= 0, got {monte_carlo}")
    fleet = problem.fleet
    battery = float(fleet.battery_capacity) if fleet.has_battery else math.inf
    ctx = _Context(
        problem=problem,
        distance=problem.distance_matrix,
        travel_mean=problem.travel_time_matrix,
        travel_var=problem.travel_variance_matrix,
        n_requests=problem.n_requests,
        index=problem.node_index,
        z_beta=float(problem.z_beta),
        stochastic=problem.is_stochastic,
        hard_windows=problem.hard_time_windows,
        battery=battery,
        min_soc=float(fleet.min_soc_fraction) * battery if fleet.has_battery else -math.inf,
        energy_rate=float(fleet.energy_per_distance) if fleet.has_battery else 0.0,
        recharge_rate=float(fleet.recharge_rate),
        respect_reveal_times=respect_reveal_times,
    )

    served, rejected = _check_assignment(ctx, solution)
    schedule: list[TripRecord] = []
    vehicles = 0
    for a, plan in enumerate(solution.amrs):
        trips = [(t, trip) for t, trip in enumerate(plan.trips) if trip.visits]
        if not trips:
            continue
        vehicles += 1
        if len(trips) > fleet.max_trips:
            ctx.add("max_trips", None, f"AMR {a} runs {len(trips)} trips, at most {fleet.max_trips} allowed", a)
        schedule += _schedule_amr(ctx, a, trips)
    if vehicles > fleet.max_vehicles:
        ctx.add("fleet_size", None, f"{vehicles} AMRs used, {fleet.max_vehicles} available")

    distance = sum(t.distance for t in schedule)
    lateness_cost = 0.0
    on_time: dict[str, float] = {}
    for trip in schedule:
        for v in trip.visits:
            if v.kind != "request":
                continue
            on_time[v.node] = min(on_time.get(v.node, 1.0), v.on_time_probability)
            if problem.lateness_weights is not None:
                priority = problem.requests[ctx.index[v.node] - 1].priority
                lateness_cost += problem.lateness_weights[priority - 1] * v.lateness
    rejection_cost = 0.0
    if problem.rejection_costs is not None:
        for rid in rejected:
            priority = problem.requests[ctx.index[rid] - 1].priority
            rejection_cost += problem.rejection_costs[priority - 1]
    costs = {
        "fleet": float(fleet.fixed_cost) * vehicles,
        "distance": float(fleet.cost_per_distance) * distance,
        "lateness": lateness_cost,
        "rejection": rejection_cost,
    }
    report = Report(
        feasible=not ctx.violations,
        vehicles=vehicles,
        trips=len(schedule),
        distance=float(distance),
        cost=float(sum(costs.values())),
        costs=costs,
        violations=ctx.violations,
        schedule=schedule,
        served=len(served),
        rejected=len(rejected),
        on_time_analytic=on_time,
    )
    if monte_carlo > 0:
        from hospital_or.monte_carlo import on_time_rates, resolve_seed

        used_seed = resolve_seed(seed)
        report.on_time_monte_carlo = on_time_rates(problem, schedule, monte_carlo, used_seed)
        report.monte_carlo_samples = int(monte_carlo)
        report.monte_carlo_seed = used_seed
    return report


def _check_assignment(ctx: _Context, solution: Solution) -> tuple[set[str], set[str]]:
    """Unknown nodes, missing/duplicate requests and forbidden rejections; returns (served, validly rejected)."""
    n = ctx.n_requests
    problem = ctx.problem
    visits: Counter[str] = Counter()
    for a, plan in enumerate(solution.amrs):
        for t, trip in enumerate(plan.trips):
            for node in trip.visits:
                i = ctx.index.get(node)
                if i is None:
                    ctx.add("unknown_node", None, f"AMR {a} trip {t} visits {node!r}: no such node", a, t)
                elif i == 0:
                    ctx.add(
                        "unknown_node",
                        None,
                        f"AMR {a} trip {t} lists the depot {node!r} as a visit; the depot closes a trip, "
                        "start a new trip instead",
                        a,
                        t,
                    )
                elif i <= n:
                    visits[node] += 1
    rejected: set[str] = set()
    rejections: Counter[str] = Counter()
    for node in solution.rejected:
        i = ctx.index.get(node)
        if i is None or not 1 <= i <= n:
            ctx.add("unknown_node", None, f"rejected {node!r} is not a request of the problem")
            continue
        rejections[node] += 1
        if problem.rejection_costs is None:
            ctx.add("rejection_not_allowed", node, f"request {node} is rejected but rejection is not allowed")
        else:
            rejected.add(node)
    for r in problem.requests:
        served_count, rejected_count = visits[r.id], rejections[r.id]
        total = served_count + rejected_count
        if total == 0:
            ctx.add("missing", r.id, f"request {r.id} is neither served nor rejected")
        elif total > 1:
            what = f"served {served_count} time(s)"
            if rejected_count:
                what += f" and rejected {rejected_count} time(s)"
            ctx.add("duplicate", r.id, f"request {r.id} is {what}")
    served = {node for node, count in visits.items() if count}
    return served, rejected


def _schedule_amr(ctx: _Context, a: int, trips: list) -> list[TripRecord]:
    """Run the trips of AMR ``a`` one after another (time, load, battery) and return their records."""
    fleet = ctx.problem.fleet
    soc = ctx.battery  # the AMR starts the day full
    records: list[TripRecord] = []
    ready_again: float | None = None  # when the AMR may leave on its next trip
    last = len(trips) - 1
    for k, (t, trip) in enumerate(trips):
        if ready_again is None:
            depart = max(float(ctx.problem.depot.ready), float(trip.earliest_start))
        else:
            depart = max(float(trip.earliest_start), ready_again)
        record, soc = _schedule_trip(ctx, a, t, trip.visits, depart, soc)
        recharge = 0.0
        if k < last and fleet.depot_charging and math.isfinite(ctx.battery):
            recharge = ctx.recharge_rate * max(0.0, ctx.battery - soc)
            soc = ctx.battery
        # record.end is the planning return time: the beta-quantile of the return (the mean if deterministic).
        ready_again = record.end + float(fleet.depot_turnaround) + recharge
        records.append(_with_depot_recharge(record, recharge, soc))
    return records


def _with_depot_recharge(record: TripRecord, recharge: float, soc: float) -> TripRecord:
    """Put the between-trip depot recharge (time and the soc after it) on the trip's closing depot record."""
    if recharge <= 0.0:
        return record
    closing = dataclasses.replace(
        record.visits[-1],
        recharge_time=recharge,
        departure=record.visits[-1].arrival + recharge,
        soc_departure=soc,
    )
    return dataclasses.replace(record, visits=(*record.visits[:-1], closing))


def _schedule_trip(
    ctx: _Context, a: int, t: int, visits: tuple[str, ...], depart: float, soc: float
) -> tuple[TripRecord, float]:
    """One trip from ``depart`` with state of charge ``soc``; returns its record and the soc at the return."""
    problem = ctx.problem
    requests = problem.requests
    n = ctx.n_requests
    tol = TOLERANCE
    dist, tmean, tvar = ctx.distance, ctx.travel_mean, ctx.travel_var
    battery, min_soc = ctx.battery, ctx.min_soc
    cv_service = float(problem.stochastic.cv_service)
    z = ctx.z_beta
    hard = ctx.hard_windows

    nodes = [(node, ctx.index[node]) for node in visits if ctx.index.get(node, 0) > 0]
    load = sum(float(requests[i - 1].demand) for _, i in nodes if i <= n)
    if load > problem.fleet.capacity + tol:
        ctx.add(
            "capacity",
            None,
            f"AMR {a} trip {t} carries {load:g}, capacity {problem.fleet.capacity:g}",
            a,
            t,
        )

    records: list[VisitRecord] = []
    prev = 0
    mu_d, var_d = depart, 0.0  # departure from the previous node (trip departure is deterministic)
    on_board = load
    total_distance = 0.0
    steps = [*nodes, (problem.depot.id, 0)]
    for position, (node, j) in enumerate(steps):
        d = float(dist[prev, j])
        total_distance += d
        mu_a = mu_d + float(tmean[prev, j])
        var_a = var_d + float(tvar[prev, j])
        sd_a = math.sqrt(var_a) if var_a > 0.0 else 0.0
        soc_arrival = soc - ctx.energy_rate * d if math.isfinite(soc) else soc
        if soc_arrival < min_soc - tol:
            where = f"request {node}" if 1 <= j <= n else ("the depot" if j == 0 else f"station {node}")
            ctx.add(
                "battery",
                node if 1 <= j <= n else None,
                f"AMR {a} trip {t}: state of charge {soc_arrival:.4f} on arrival at {where} is below the minimum "
                f"{min_soc:.4f}",
                a,
                t,
            )
        if j == 0:
            if mu_a + z * sd_a > problem.depot.horizon + tol:
                quantile = f" (mean {mu_a:.4f} + {z:.3f} sd {sd_a:.4f})" if sd_a > 0 else ""
                ctx.add(
                    "horizon",
                    None,
                    f"AMR {a} trip {t} returns at {mu_a + z * sd_a:.4f}{quantile} after the horizon "
                    f"{problem.depot.horizon:g}",
                    a,
                    t,
                )
            records.append(
                VisitRecord(
                    a,
                    t,
                    position,
                    node,
                    "depot",
                    mu_a,
                    mu_a,
                    0.0,
                    mu_a,
                    0.0,
                    soc_arrival,
                    soc_arrival,
                    0.0,
                    0.0,
                    sd_a,
                    1.0,
                )
            )
            soc = soc_arrival
            break
        if ctx.respect_reveal_times and j <= n:
            reveal = float(requests[j - 1].reveal)
            if mu_d < reveal - tol:
                ctx.add(
                    "reveal",
                    node,
                    f"AMR {a} trip {t} leaves for request {node} at {mu_d:.4f}, before it is revealed at {reveal:g}",
                    a,
                    t,
                )
        if j <= n:
            r = requests[j - 1]
            ready, due = float(r.ready), float(r.due)
            mu_s, var_s = clark_max(mu_a, var_a, ready)
            service = float(r.service)
            mu_d = mu_s + service
            var_d = var_s + (cv_service * service) ** 2
            if var_a > 0.0:
                lateness = expected_lateness(mu_a, var_a, due)
                on_time = normal_cdf((due - mu_a) / sd_a)
                if hard and mu_a + z * sd_a > due + tol:
                    ctx.add(
                        "chance",
                        node,
                        f"AMR {a} trip {t}: request {node} arrives at mean {mu_a:.4f} + {z:.3f} sd {sd_a:.4f} = "
                        f"{mu_a + z * sd_a:.4f} after its due time {due:g} (on-time probability {on_time:.4f})",
                        a,
                        t,
                    )
            else:
                lateness = max(0.0, mu_s - due)
                on_time = 1.0 if mu_a <= due + tol else 0.0
                if hard and lateness > tol:
                    kind = "chance" if ctx.stochastic else "time_window"
                    ctx.add(
                        kind,
                        node,
                        f"AMR {a} trip {t}: service of request {node} starts at {mu_s:.4f} after its due time {due:g}",
                        a,
                        t,
                    )
            records.append(
                VisitRecord(
                    a,
                    t,
                    position,
                    node,
                    "request",
                    mu_a,
                    mu_s,
                    mu_s - mu_a,
                    mu_d,
                    on_board,
                    soc_arrival,
                    soc_arrival,
                    0.0,
                    lateness,
                    sd_a,
                    on_time,
                )
            )
            on_board -= float(r.demand)
            soc = soc_arrival
        else:  # charging station: full recharge, no waiting
            if math.isfinite(battery):
                recharge = ctx.recharge_rate * (battery - soc_arrival)
                soc = battery
            else:
                recharge = 0.0
                soc = soc_arrival
            mu_d = mu_a + recharge
            var_d = var_a
            records.append(
                VisitRecord(
                    a,
                    t,
                    position,
                    node,
                    "station",
                    mu_a,
                    mu_a,
                    0.0,
                    mu_d,
                    on_board,
                    soc_arrival,
                    soc,
                    recharge,
                    0.0,
                    sd_a,
                    1.0,
                )
            )
        prev = j
    end = records[-1]
    record = TripRecord(
        amr=a,
        trip=t,
        start=depart,
        end=end.arrival + z * end.arrival_sd,
        distance=total_distance,
        load=load,
        visits=tuple(records),
    )
    return record, soc
