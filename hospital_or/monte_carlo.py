"""Monte Carlo evaluation of a plan's on-time rates (spec section 2.4, back-end E2), used by the checker.

Scenarios use **common random numbers**: every random quantity has its own random stream, keyed by what it
belongs to and derived from the seed with :class:`numpy.random.SeedSequence` (``spawn_key``):

- travel noise of the k-th traversal (k = 0, 1, ...) of arc ``(i, j)`` in the plan: key ``(0, i, j, k)``;
- elevator wait of that traversal: key ``(1, i, j, k)``;
- service time of the k-th visit of request ``j``: key ``(2, j, k)``.

Two plans evaluated with the same seed therefore see the same realisation on every arc and at every request
they share, so differences between their on-time rates come from the plans, not from sampling noise.

Distributions (``docs/semantics.md``): travel ``(distance / speed) (1 + eps)``, ``eps ~ N(0, cv_travel^2)``
truncated at -0.9, plus the elevator ride and a ``Uniform[0, wait_max]`` wait when the floors differ; service
``N(service, (cv_service service)^2)`` truncated at 0. "Truncated" means the truncated normal distribution
(values beyond the bound are redrawn), not clipping. Recharge times are deterministic (energy depends on distance
only). A trip departs at ``max(planned departure, actual previous return + turnaround + depot recharge)``. A request
is on time in a scenario when its arrival is ``<= due`` (tolerance 1e-6).
"""

from __future__ import annotations

import numpy as np

from hospital_or.problem import Problem
from hospital_or.report import TripRecord

__all__ = ["on_time_rates", "resolve_seed", "sample_truncated_noise"]

_TOLERANCE = 1e-6


def resolve_seed(seed: int | np.random.Generator | None) -> int:
    """The integer seed of a Monte Carlo run.

    ``None`` draws fresh entropy (returned so that the run can be repeated); a ``Generator`` supplies one draw.
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, a numpy Generator or None, got {seed!r}")
    return int(seed)


def _stream(seed: int, key: tuple[int, ...]) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def sample_truncated_noise(rng: np.random.Generator, cv: float, size: int, lower: float) -> np.ndarray:
    """``size`` draws of ``eps ~ N(0, cv^2)`` conditioned on ``eps >= lower`` (rejection: redraw until inside).

    Returns zeros when ``cv == 0``.
    """
    if cv <= 0.0:
        return np.zeros(size)
    eps = cv * rng.standard_normal(size)
    low = eps < lower
    while low.any():
        count = int(low.sum())
        eps[low] = cv * rng.standard_normal(count)
        low = eps < lower
    return eps


def on_time_rates(problem: Problem, schedule: list[TripRecord], samples: int, seed: int) -> dict[str, float]:
    """Empirical on-time rate per served request over ``samples`` scenarios.

    Parameters
    ----------
    problem
        The routing problem.
    schedule
        The checker's analytic schedule (gives the visit order, the planned trip departures and the deterministic
        recharge times).
    samples
        Number of scenarios (vectorised with NumPy).
    seed
        Integer seed; see the module docstring for the common-random-numbers keys.

    Returns
    -------
    dict
        Request id -> share of scenarios in which the AMR arrives by the due time (the minimum over visits if a
        request is visited more than once).
    """
    if samples <= 0:
        return {}
    index = problem.node_index
    dist = problem.distance_matrix
    speed = float(problem.fleet.speed)
    cv_t = float(problem.stochastic.cv_travel)
    cv_s = float(problem.stochastic.cv_service)
    elevator = problem.elevator
    floors = [problem.depot.floor, *(r.floor for r in problem.requests), *(s.floor for s in problem.stations)]
    turnaround = float(problem.fleet.depot_turnaround)
    arc_uses: dict[tuple[int, int], int] = {}
    visit_uses: dict[int, int] = {}
    rates: dict[str, float] = {}

    def travel(i: int, j: int) -> np.ndarray:
        k = arc_uses.get((i, j), 0)
        arc_uses[(i, j)] = k + 1
        base = float(dist[i, j]) / speed
        eps = sample_truncated_noise(_stream(seed, (0, i, j, k)), cv_t, samples, -0.9) if base > 0 else None
        time = base * (1.0 + eps) if eps is not None else np.full(samples, base)
        if elevator is not None and floors[i] != floors[j]:
            time += elevator.ride_fixed + elevator.ride_per_floor * abs(floors[i] - floors[j])
            if elevator.wait_max > 0:
                time += _stream(seed, (1, i, j, k)).uniform(0.0, elevator.wait_max, samples)
        return time

    current_amr: int | None = None
    previous_return: np.ndarray | None = None
    previous_recharge = 0.0
    for trip in schedule:
        if trip.amr != current_amr:
            current_amr, previous_return = trip.amr, None
        if previous_return is None:
            clock = np.full(samples, trip.start)
        else:
            clock = np.maximum(trip.start, previous_return + turnaround + previous_recharge)
        prev = 0
        for visit in trip.visits:
            j = index[visit.node]
            arrival = clock + travel(prev, j)
            if visit.kind == "request":
                r = problem.requests[j - 1]
                on_time = float(np.mean(arrival <= r.due + _TOLERANCE))
                rates[r.id] = min(rates.get(r.id, 1.0), on_time)
                k = visit_uses.get(j, 0)
                visit_uses[j] = k + 1
                service = r.service * (1.0 + sample_truncated_noise(_stream(seed, (2, j, k)), cv_s, samples, -1.0))
                clock = np.maximum(arrival, r.ready) + service
            elif visit.kind == "station":
                clock = arrival + visit.recharge_time
            else:  # closing depot return
                previous_return = arrival
                previous_recharge = visit.recharge_time
            prev = j
    return rates
