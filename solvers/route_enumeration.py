"""Exact solution by enumerating AMR day plans with dominance, then set partitioning by dynamic programming.

An independent cross-check for the MIP (it shares no code with :mod:`solvers.mip`): a label-setting search extends
partial AMR day plans (one or more trips) request by request, directly or through a chain of charging stations, and
records for every set of requests the cheapest feasible plan that serves exactly that set. A dynamic program over
subsets then picks the cheapest partition into at most ``max_vehicles`` plans.

Time is evaluated as in ``docs/semantics.md``: analytic normal propagation (Clark's moment matching for
``S = max(ready, A)``) with the chance constraint ``muA + z_beta * sdA <= due``; with zero variances this is the
deterministic E-VRPTW. Multi-trip chaining uses the beta-quantile of the previous return. Optionally (SAA) the
chance constraint is checked on sampled scenarios instead: the share of scenarios in which each request is reached
by its due time (and the AMR is back by the horizon) must be at least ``beta``.

Dominance: a label at the same node with the same served set dominates another if its departure is not later (mean
and variance; in SAA mode in every scenario), it has used no more trips and has no less charge, no more load and no
more distance. This is exact because every step of the evaluation is monotone: Clark's mean and variance of
``max(e, A)`` do not decrease with the mean or the variance of ``A``, and the chance constraint
``mu + z_beta * sd`` grows with both. ``dominance=False`` gives exhaustive enumeration (for cross-checks).
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from solvers.routing_arrays import RoutingArrays

_EPS = 1e-9
_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)


def _phi(x: float) -> float:
    return math.exp(-0.5 * x * x) / _SQRT2PI


def _cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / _SQRT2)


def clark_max(mu: float, var: float, e: float) -> tuple[float, float]:
    """Mean and variance of ``max(e, A)`` for ``A ~ N(mu, var)`` (Clark's moment matching)."""
    if var <= 0.0:
        return max(e, mu), 0.0
    sd = math.sqrt(var)
    a = (mu - e) / sd
    p, q, d = _cdf(a), _cdf(-a), _phi(a)
    m1 = mu * p + e * q + sd * d
    m2 = (mu * mu + var) * p + e * e * q + (mu + e) * sd * d
    return m1, max(0.0, m2 - m1 * m1)


@dataclass(frozen=True)
class Scenarios:
    """Sampled travel and service times for the SAA mode.

    Attributes
    ----------
    travel
        ``(S, N, N)`` travel times per scenario.
    service
        ``(S, N)`` service times per scenario.
    """

    travel: np.ndarray
    service: np.ndarray


@dataclass
class PlanSet:
    """Cheapest feasible AMR day plan per set of requests.

    Attributes
    ----------
    distance
        ``mask -> distance`` of the shortest feasible plan serving exactly the requests in ``mask`` (bit ``i-1`` is
        request ``i``).
    plan
        ``mask -> trips`` (node indices without the depot, stations included).
    labels
        Number of labels created (search effort).
    """

    distance: dict[int, float] = field(default_factory=dict)
    plan: dict[int, tuple[tuple[int, ...], ...]] = field(default_factory=dict)
    labels: int = 0


@dataclass
class EnumerationResult:
    """Optimal partition found by :func:`solve_by_enumeration`."""

    feasible: bool
    objective: float
    vehicles: int
    distance: float
    amr_trips: list[list[list[int]]]
    plans: PlanSet


@dataclass
class _Label:
    node: int
    mask: int
    trip: int  # 1-based trip number of the AMR
    time: float  # mean departure time from node
    var: float  # variance of the departure time
    soc: float
    load: float
    dist: float
    trips: tuple[tuple[int, ...], ...]
    scen: np.ndarray | None = None  # per-scenario departure times (SAA)
    dead: bool = False  # dominated after it was queued


def _dominates(a: _Label, b: _Label) -> bool:
    """``a`` is at least as good as ``b`` in every resource (same node and served set assumed)."""
    return (
        a.time <= b.time + _EPS
        and a.trip <= b.trip
        and a.var <= b.var + _EPS
        and a.soc >= b.soc - _EPS
        and a.load <= b.load + _EPS
        and a.dist <= b.dist + _EPS
        and (a.scen is None or bool(np.all(a.scen <= b.scen + _EPS)))
    )


def _chains(ra: RoutingArrays, max_chain: int) -> list[tuple[int, ...]]:
    n, m = ra.n_requests, ra.n_stations
    stations = range(n + 1, n + m + 1)
    usable = ra.battery_capacity - ra.min_soc
    best: dict[tuple[int, int], list[tuple[float, float, float, tuple[int, ...]]]] = {}
    for length in range(1, max_chain + 1):
        for chain in itertools.permutations(stations, length):
            hops = list(itertools.pairwise(chain))
            if any(ra.energy[p, q] > usable + _EPS for p, q in hops):
                continue
            d = sum(ra.distance[p, q] for p, q in hops)
            t = sum(ra.travel_mean[p, q] + ra.recharge_rate * ra.energy[p, q] for p, q in hops)
            v = sum(ra.travel_var[p, q] for p, q in hops)
            best.setdefault((chain[0], chain[-1]), []).append((float(d), float(t), float(v), chain))
    out: list[tuple[int, ...]] = []
    for options in best.values():
        options.sort()
        kept: list[tuple[float, float, float, tuple[int, ...]]] = []
        for o in options:
            if not any(k[0] <= o[0] + _EPS and k[1] <= o[1] + _EPS and k[2] <= o[2] + _EPS for k in kept):
                kept.append(o)
        out += [k[3] for k in kept]
    return out


class _Search:
    def __init__(self, ra: RoutingArrays, max_chain: int, dominance: bool, scenarios: Scenarios | None):
        self.ra = ra
        self.n = ra.n_requests
        self.battery = ra.battery_capacity
        self.has_battery = math.isfinite(self.battery)
        self.chains = _chains(ra, max_chain) if self.has_battery and ra.n_stations else []
        self.dominance = dominance
        self.scen = scenarios
        self.z = ra.z_beta if ra.stochastic else 0.0
        self.result = PlanSet()
        self.front: dict[tuple[int, int], list[_Label]] = {}

    # ---------------------------------------------------------------- one move
    def _travel(self, lab: _Label, stops: tuple[int, ...], target: int):
        """Move from lab.node through stations ``stops`` to ``target``: (mu, var, soc, dist, scen) on arrival."""
        ra = self.ra
        mu, var, soc, dist = lab.time, lab.var, lab.soc, lab.dist
        scen = lab.scen
        prev = lab.node
        for node in (*stops, target):
            mu += ra.travel_mean[prev, node]
            var += ra.travel_var[prev, node]
            dist += ra.distance[prev, node]
            if scen is not None:
                scen = scen + self.scen.travel[:, prev, node]
            if self.has_battery:
                soc -= ra.energy[prev, node]
                if soc < ra.min_soc - _EPS:
                    return None
            if node != target:  # a charging station: full recharge
                recharge = ra.recharge_rate * (self.battery - soc) if self.has_battery else 0.0
                mu += recharge
                if scen is not None:
                    scen = scen + recharge
                soc = self.battery
            prev = node
        return mu, var, soc, dist, scen

    def _on_time(self, mu: float, var: float, scen: np.ndarray | None, limit: float) -> bool:
        if self.scen is not None:
            return float(np.mean(scen <= limit + _EPS)) >= self.ra.beta - _EPS
        return mu + self.z * math.sqrt(max(var, 0.0)) <= limit + _EPS

    def _dominated(self, lab: _Label) -> bool:
        key = (lab.node, lab.mask)
        front = self.front.setdefault(key, [])
        if any(_dominates(o, lab) for o in front):
            return True
        keep = []
        for o in front:
            if _dominates(lab, o):
                o.dead = True  # queued labels that are now dominated are not expanded
            else:
                keep.append(o)
        keep.append(lab)
        front[:] = keep
        return False

    # ---------------------------------------------------------------- search
    def run(self) -> PlanSet:
        ra = self.ra
        first = _Label(0, 0, 1, float(ra.ready[0]), 0.0, self.battery, 0.0, 0.0, ((),))
        if self.scen is not None:
            first.scen = np.full(self.scen.travel.shape[0], float(ra.ready[0]))
        # expand by increasing number of served requests, so that dominance sees a layer before expanding it
        queue: list[tuple[int, int, _Label]] = [(0, 0, first)]
        counter = 1
        while queue:
            _, _, lab = heapq.heappop(queue)
            if lab.dead:
                continue
            self.result.labels += 1
            for new in self._expand(lab):
                heapq.heappush(queue, (new.mask.bit_count(), counter, new))
                counter += 1
        return self.result

    def _expand(self, lab: _Label) -> list[_Label]:
        ra = self.ra
        out: list[_Label] = []
        routes = [(), *self.chains]
        for j in range(1, self.n + 1):
            bit = 1 << (j - 1)
            if lab.mask & bit or lab.load + ra.demand[j] > ra.capacity + _EPS:
                continue
            for stops in routes:
                moved = self._travel(lab, stops, j)
                if moved is None:
                    continue
                mu_a, var_a, soc, dist, scen = moved
                if not self._on_time(mu_a, var_a, scen, float(ra.due[j])):
                    continue
                mu_s, var_s = clark_max(mu_a, var_a, float(ra.ready[j]))
                s_scen = None
                if scen is not None:
                    s_scen = np.maximum(scen, ra.ready[j]) + self.scen.service[:, j]
                trips = (*lab.trips[:-1], (*lab.trips[-1], *stops, j))
                new = _Label(
                    j,
                    lab.mask | bit,
                    lab.trip,
                    mu_s + float(ra.service_mean[j]),
                    var_s + float(ra.service_var[j]),
                    soc,
                    lab.load + float(ra.demand[j]),
                    dist,
                    trips,
                    s_scen,
                )
                if self.dominance and self._dominated(new):
                    continue
                out.append(new)
        if lab.node != 0:
            out += self._close_trip(lab, routes)
        return out

    def _close_trip(self, lab: _Label, routes) -> list[_Label]:
        ra = self.ra
        horizon = float(ra.due[0])
        out: list[_Label] = []
        for stops in routes:
            moved = self._travel(lab, stops, 0)
            if moved is None:
                continue
            mu_a, var_a, soc, dist, scen = moved
            if not self._on_time(mu_a, var_a, scen, horizon):
                continue
            trips = (*lab.trips[:-1], (*lab.trips[-1], *stops))
            if dist < self.result.distance.get(lab.mask, math.inf) - _EPS:
                self.result.distance[lab.mask] = dist
                self.result.plan[lab.mask] = trips
            if lab.trip < ra.max_trips and lab.mask != (1 << self.n) - 1:
                ret = mu_a + self.z * math.sqrt(max(var_a, 0.0))
                recharge = ra.recharge_rate * (self.battery - soc) if self.has_battery and ra.depot_charging else 0.0
                depart = max(float(ra.ready[0]), ret + ra.depot_turnaround + recharge)
                soc_next = self.battery if ra.depot_charging else soc
                s_next = None
                if scen is not None:
                    s_next = np.maximum(float(ra.ready[0]), scen + ra.depot_turnaround + recharge)
                new = _Label(0, lab.mask, lab.trip + 1, depart, 0.0, soc_next, 0.0, dist, (*trips, ()), s_next)
                if self.dominance and self._dominated(new):
                    continue
                out.append(new)
        return out


def enumerate_plans(
    ra: RoutingArrays, max_chain: int = 3, dominance: bool | None = None, scenarios: Scenarios | None = None
) -> PlanSet:
    """Shortest feasible AMR day plan for every set of requests one AMR can serve.

    Parameters
    ----------
    ra
        Problem arrays (hard time windows).
    max_chain
        Most charging stations in a row.
    dominance
        Prune dominated labels (default on; ``False`` enumerates exhaustively).
    scenarios
        Sampled times: check the chance constraint by SAA instead of the analytic normal approximation.
    """
    if dominance is None:
        dominance = True
    return _Search(ra, max_chain, dominance, scenarios).run()


def best_partition(
    plans: PlanSet, n_requests: int, max_vehicles: int, fixed_cost: float, cost_per_distance: float
) -> tuple[float, list[int]]:
    """Cheapest partition of all requests into at most ``max_vehicles`` plans (DP over subsets).

    Returns
    -------
    (objective, masks)
        ``math.inf`` and ``[]`` if no partition exists.
    """
    full = (1 << n_requests) - 1
    if n_requests == 0:
        return 0.0, []
    cost = {mask: fixed_cost + cost_per_distance * d for mask, d in plans.distance.items()}
    by_low: dict[int, list[int]] = {}
    for mask in cost:
        low = mask & -mask
        by_low.setdefault(low, []).append(mask)
    k_max = min(max_vehicles, n_requests)
    # f[k][mask]: cheapest cover of mask with exactly k plans
    memo: dict[tuple[int, int], tuple[float, int]] = {}

    def f(mask: int, k: int) -> tuple[float, int]:
        if mask == 0:
            return 0.0, 0
        if k == 0:
            return math.inf, 0
        key = (mask, k)
        if key in memo:
            return memo[key]
        low = mask & -mask
        best = (math.inf, 0)
        for sub in by_low.get(low, ()):
            if sub & ~mask:
                continue
            rest, _ = f(mask & ~sub, k - 1)
            value = cost[sub] + rest
            if value < best[0] - _EPS:
                best = (value, sub)
        memo[key] = best
        return best

    value, _ = f(full, k_max)
    if not math.isfinite(value):
        return math.inf, []
    masks: list[int] = []
    mask, k = full, k_max
    while mask:
        _, sub = f(mask, k)
        masks.append(sub)
        mask &= ~sub
        k -= 1
    return value, masks


def solve_by_enumeration(
    ra: RoutingArrays, max_chain: int = 3, dominance: bool | None = None, scenarios: Scenarios | None = None
) -> EnumerationResult:
    """Optimal plan (``fixed_cost * AMRs + cost_per_distance * distance``) by enumeration and set partitioning.

    Raises
    ------
    ValueError
        For soft time windows or optional requests (not modelled).
    """
    if not ra.hard_time_windows:
        raise ValueError("route enumeration models hard time windows only")
    if np.isfinite(ra.rejection_cost[1:]).any():
        raise ValueError("route enumeration requires every request to be served (no rejection costs)")
    plans = enumerate_plans(ra, max_chain, dominance, scenarios)
    n = ra.n_requests
    value, masks = best_partition(plans, n, ra.max_vehicles, ra.fixed_cost, ra.cost_per_distance)
    if not math.isfinite(value):
        return EnumerationResult(False, math.inf, 0, math.inf, [], plans)
    amr_trips = [[list(t) for t in plans.plan[mask] if t] for mask in masks]
    distance = sum(plans.distance[mask] for mask in masks)
    return EnumerationResult(True, value, len(masks), distance, amr_trips, plans)
