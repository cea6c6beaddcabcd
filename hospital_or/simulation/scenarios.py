"""Synthetic hospital days and two simple reference plans for simulation studies.

:func:`synthetic_day` builds a seeded multi-floor hospital problem (elevator, charging stations, priorities, soft
windows, optional dynamic reveals). :func:`one_trip_per_request` and :func:`nearest_neighbour_plan` build plans with
expected times only (no solver needed); they serve as baselines and as inputs for the simulator when no optimised
plan is at hand.
"""

from __future__ import annotations

import math

import numpy as np

from hospital_or.problem import Depot, Elevator, Fleet, Problem, Request, Station, StochasticModel
from hospital_or.solution import AMRPlan, Solution, Trip

__all__ = ["nearest_neighbour_plan", "one_trip_per_request", "synthetic_day"]


def synthetic_day(
    n_requests: int = 100,
    n_amrs: int = 10,
    *,
    rng: np.random.Generator,
    floors: int = 5,
    n_stations: int = 2,
    cv_travel: float = 0.2,
    cv_service: float = 0.2,
    dynamism: float = 0.0,
    battery: bool = True,
    name: str | None = None,
) -> Problem:
    """A seeded day of AMR deliveries in a hospital building (times in minutes, distances in metres).

    Parameters
    ----------
    n_requests, n_amrs
        Requests and AMRs (``max_vehicles``; up to 50 trips each, capacity 6 slots).
    rng
        Random generator (locations, windows, priorities, reveals).
    floors
        Floors 0 .. floors-1 served by one elevator at the building core; the depot is on floor 0.
    n_stations
        Charging stations (random floors); batteries are off when ``battery`` is False.
    cv_travel, cv_service
        Stochastic model.
    dynamism
        Share of requests revealed during the day (reveal uniform between 0 and 60 % of the ready-to-due span
        before ready, i.e. ``reveal <= ready``).
    name
        Problem name (default ``syn-<n>-<m>``).

    Returns
    -------
    Problem
        Day 06:00-22:00 (0-960 min); 60 % of the ready times in three peaks (around 07:30, 11:30 and 16:00, sd
        25 min), the rest uniform; windows of 15-45 min; speed 36 m/min (0.6 m/s); service 1-4 min; priority mix
        (0.2, 0.3, 0.5); soft windows with weights (10, 5, 1); rejection costs (2000, 800, 300).
    """
    if n_requests < 1 or n_amrs < 1 or floors < 1:
        raise ValueError("n_requests, n_amrs and floors must be >= 1")
    horizon = 960.0
    depot = Depot("depot", 10.0, 10.0, 0.0, horizon, floor=0)
    xs = rng.uniform(0.0, 120.0, n_requests)
    ys = rng.uniform(0.0, 60.0, n_requests)
    fl = rng.integers(0, floors, n_requests)
    # 60 % of the requests fall in three peaks (morning rounds, lunch, evening), the rest uniformly over the day
    peak = rng.random(n_requests) < 0.6
    centre = rng.choice([90.0, 330.0, 600.0], size=n_requests)
    ready = np.where(peak, centre + rng.normal(0.0, 25.0, n_requests), rng.uniform(0.0, horizon - 180.0, n_requests))
    ready = np.sort(np.clip(ready, 0.0, horizon - 180.0))
    width = rng.uniform(15.0, 45.0, n_requests)
    service = rng.uniform(1.0, 4.0, n_requests)
    priority = rng.choice([1, 2, 3], size=n_requests, p=[0.2, 0.3, 0.5])
    dynamic = rng.random(n_requests) < dynamism
    lead = rng.uniform(0.0, 1.0, n_requests) * 0.6 * width
    requests = [
        Request(
            id=f"r{i + 1}",
            x=round(float(xs[i]), 2),
            y=round(float(ys[i]), 2),
            demand=1.0,
            ready=round(float(ready[i]), 2),
            due=round(float(ready[i] + width[i]), 2),
            service=round(float(service[i]), 2),
            priority=int(priority[i]),
            reveal=round(float(max(0.0, ready[i] - lead[i])), 2) if dynamic[i] else 0.0,
            floor=int(fl[i]),
        )
        for i in range(n_requests)
    ]
    stations = [
        Station(f"cs{k + 1}", round(float(rng.uniform(0, 120)), 2), round(float(rng.uniform(0, 60)), 2),
                floor=int(rng.integers(0, floors)))
        for k in range(n_stations if battery else 0)
    ]  # fmt: skip
    fleet = Fleet(
        capacity=6.0,
        max_vehicles=int(n_amrs),
        max_trips=50,
        speed=36.0,
        battery_capacity=100.0 if battery else math.inf,
        energy_per_distance=0.01 if battery else 0.0,
        recharge_rate=0.6 if battery else 0.0,
        min_soc_fraction=0.2 if battery else 0.0,
        fixed_cost=500.0,
        cost_per_distance=0.01,
        depot_turnaround=1.0,
        depot_charging=battery,
    )
    elevator = Elevator(60.0, 30.0, ride_fixed=0.6, ride_per_floor=0.05, wait_max=1.5) if floors > 1 else None
    return Problem(
        name=name or f"syn-{n_requests}-{n_amrs}",
        depot=depot,
        requests=tuple(requests),
        fleet=fleet,
        stations=tuple(stations),
        stochastic=StochasticModel(cv_travel=cv_travel, cv_service=cv_service, beta=0.95),
        elevator=elevator,
        lateness_weights=(10.0, 5.0, 1.0),
        rejection_costs=(2000.0, 800.0, 300.0),
        source=f"synthetic_day(n_requests={n_requests}, n_amrs={n_amrs}, floors={floors})",
    )


def _schedule_trips(problem: Problem, trips: list[list[int]]) -> Solution:
    """Give trips (node-index lists, in creation order) to the AMR that is free first (expected times)."""
    tm = problem.travel_time_matrix
    f = problem.fleet
    k = max(1, min(f.max_vehicles, len(trips)))
    free = [float(problem.depot.ready)] * k
    count = [0] * k
    plans: list[list[Trip]] = [[] for _ in range(k)]
    ids = problem.node_ids
    for trip in trips:
        candidates = [a for a in range(k) if count[a] < f.max_trips] or list(range(k))
        a = min(candidates, key=lambda x: (free[x], x))
        t, prev = free[a], 0
        for j in trip:
            t = max(t + tm[prev, j], _ready(problem, j)) + _service(problem, j)
            prev = j
        free[a] = t + tm[prev, 0] + f.depot_turnaround
        count[a] += 1
        plans[a].append(Trip(tuple(ids[j] for j in trip)))
    return Solution(tuple(AMRPlan(tuple(p)) for p in plans if p))


def _ready(problem: Problem, j: int) -> float:
    return problem.requests[j - 1].ready if 1 <= j <= problem.n_requests else 0.0


def _service(problem: Problem, j: int) -> float:
    return problem.requests[j - 1].service if 1 <= j <= problem.n_requests else 0.0


def one_trip_per_request(problem: Problem) -> Solution:
    """Each request on its own trip (in order of ready time), trips given to the AMR that is free first.

    Needs enough trips per AMR (``max_trips * max_vehicles >= n_requests``) to be a valid plan.
    """
    order = sorted(range(1, problem.n_requests + 1), key=lambda j: (problem.requests[j - 1].ready, j))
    return _schedule_trips(problem, [[j] for j in order])


def nearest_neighbour_plan(problem: Problem) -> Solution:
    """Greedy trips with expected times: from the current node, go to the request whose service can start soonest.

    Trips are built one after another from the time the AMR that is free first becomes available; a trip takes
    the request that can start soonest among those it reaches by their due time (capacity permitting) and returns
    to the depot when none is left or the horizon would be broken. Requests no AMR reaches in time are served
    late in their own trips (soft windows). Batteries are ignored (the simulator detours to charge if needed).
    """
    n = problem.n_requests
    tm = problem.travel_time_matrix
    f = problem.fleet
    ready = [0.0] + [r.ready for r in problem.requests]
    due = [0.0] + [r.due for r in problem.requests]
    service = [0.0] + [r.service for r in problem.requests]
    demand = [0.0] + [r.demand for r in problem.requests]
    horizon = problem.depot.horizon
    k = f.max_vehicles
    free = [float(problem.depot.ready)] * k
    count = [0] * k
    plans: list[list[Trip]] = [[] for _ in range(k)]
    left = set(range(1, n + 1))
    ids = problem.node_ids
    while left:
        usable = [a for a in range(k) if count[a] < f.max_trips]
        if not usable:
            # out of trips: the most-used AMR's last trip takes the rest (capacity may break; soft plan)
            plans[0].append(Trip(tuple(ids[j] for j in sorted(left))))
            break
        a = min(usable, key=lambda x: (free[x], x))
        t, prev, load, trip = free[a], 0, 0.0, []
        while True:
            best, best_start = None, math.inf
            for j in left:
                if load + demand[j] > f.capacity:
                    continue
                arrive = t + tm[prev, j]
                if arrive > due[j]:
                    continue
                start = max(arrive, ready[j])
                if start + service[j] + tm[j, 0] > horizon:
                    continue
                if start < best_start or (start == best_start and j < best):
                    best, best_start = j, start
            if best is None:
                break
            trip.append(best)
            left.discard(best)
            load += demand[best]
            t = best_start + service[best]
            prev = best
        if not trip:
            # nobody reachable in time from this AMR's start: serve the most urgent request late
            j = min(left, key=lambda x: (due[x], x))
            trip = [j]
            left.discard(j)
            t = max(t + tm[0, j], ready[j]) + service[j]
            prev = j
        plans[a].append(Trip(tuple(ids[j] for j in trip)))
        count[a] += 1
        free[a] = t + tm[prev, 0] + f.depot_turnaround
    return Solution(tuple(AMRPlan(tuple(p)) for p in plans if p))
