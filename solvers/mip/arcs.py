"""Arc preprocessing for the arc-based MIP: direct legs and legs through chains of charging stations.

The textbook E-VRPTW model (Schneider et al. 2014) gives every charging station several dummy copies and lets the
vehicle route through them. Its linear relaxation is weak. Here a station stop is built into the arcs instead: an
:class:`Arc` leads from a *tail* (the depot or a request) to a *head* (a request or the depot) either directly or
through a short chain of stations, and, for multi-trip plans, possibly through a depot stop that closes one trip and
opens the next (a *reload* arc). Only non-dominated arcs are kept, so the model needs no station copies at all.

Along an arc, the state of charge (SoC) and the time are affine in the SoC ``b`` on departure from the tail:

* time from the tail's departure to the head's arrival: ``time + recharge_coef * (B - b)`` (the first full recharge
  depends on ``b``; later recharges are constants);
* SoC on arrival at the head: ``b - energy`` when no charger is passed (``soc_through``), otherwise the constant
  ``arrival_soc``;
* the arc is usable only if ``b >= min_soc + soc_required``.

Arc preprocessing of spec section 4.1 (capacity, time windows, horizon, battery reach) is applied to every candidate.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from solvers.routing_arrays import RoutingArrays

_EPS = 1e-9


@dataclass(frozen=True)
class Arc:
    """One candidate arc of the arc-based model (see the module docstring for the affine SoC/time form).

    Attributes
    ----------
    tail, head
        Node indices: ``0`` (depot) or a request ``1..n``.
    via
        Intermediate stops in order: charging stations (``n+1..n+m``) and, on reload arcs, the depot ``0``.
    distance
        Total distance of the arc.
    time, recharge_coef
        Travel plus recharge time from the tail's departure to the head's arrival is
        ``time + recharge_coef * (B - b)``.
    soc_through, energy, arrival_soc
        Arrival SoC is ``b - energy`` if ``soc_through`` else ``arrival_soc``.
    soc_required
        Energy the arc needs on departure above the minimum SoC.
    variance
        Sum of the travel-time variances of the legs.
    reload
        The arc passes the depot: it ends one trip and starts the next of the same AMR.
    return_time, return_coef
        For reload arcs: the depot return happens ``return_time + return_coef * (B - b)`` after the tail's departure.
    drive_time, total_energy
        Travel time without recharging (plus the depot turnaround on reload arcs) and energy used on all legs.
    """

    tail: int
    head: int
    via: tuple[int, ...]
    distance: float
    time: float
    recharge_coef: float
    soc_through: bool
    energy: float
    arrival_soc: float
    soc_required: float
    variance: float
    reload: bool = False
    return_time: float = 0.0
    return_coef: float = 0.0
    drive_time: float = 0.0
    total_energy: float = 0.0

    def travel_time(self, b: float, battery: float) -> float:
        """Time from the tail's departure to the head's arrival for departure SoC ``b``."""
        return self.time + (self.recharge_coef * (battery - b) if self.recharge_coef else 0.0)

    def soc_on_arrival(self, b: float) -> float:
        """SoC on arrival at the head for departure SoC ``b``."""
        return b - self.energy if self.soc_through else self.arrival_soc


@dataclass
class _Sym:
    """Symbolic state along a path: SoC = k*b + a, time = ct + ht*(B - b)."""

    k: int
    a: float
    ct: float
    ht: float
    req: float
    dist: float
    var: float
    rt: float = 0.0
    rht: float = 0.0
    reload: bool = False
    drive: float = 0.0
    used: float = 0.0


def _walk(ra: RoutingArrays, tail: int, stops: tuple[int, ...], head: int, start_full: bool) -> _Sym | None:
    """Evaluate ``tail -> stops -> head`` symbolically; ``None`` if the battery rules it out statically."""
    battery = ra.battery_capacity
    has_battery = math.isfinite(battery)
    g = ra.recharge_rate
    st = _Sym(k=0 if start_full else 1, a=battery if start_full else 0.0, ct=0.0, ht=0.0, req=0.0, dist=0.0, var=0.0)
    prev = tail
    for node in (*stops, head):
        e = float(ra.energy[prev, node])
        st.dist += float(ra.distance[prev, node])
        st.ct += float(ra.travel_mean[prev, node])
        st.var += float(ra.travel_var[prev, node])
        st.drive += float(ra.travel_mean[prev, node])
        st.used += e
        if has_battery:
            st.a -= e
            if st.k == 0:
                if st.a < ra.min_soc - _EPS:
                    return None
            else:
                st.req = max(st.req, -st.a)
        if node == head:
            break
        charges = has_battery and (node != 0 or ra.depot_charging)
        if node == 0:  # depot stop between two trips
            st.rt, st.rht = st.ct, st.ht
            st.reload = True
        if charges:
            if st.k == 1:
                st.ht += g
                st.ct += -g * st.a
            else:
                st.ct += g * (battery - st.a)
            st.k, st.a = 0, battery
        if node == 0:
            st.ct += ra.depot_turnaround
            st.drive += ra.depot_turnaround
        prev = node
    return st


def _to_arc(tail: int, head: int, via: tuple[int, ...], st: _Sym, battery: float) -> Arc:
    through = st.k == 1
    return Arc(
        tail=tail,
        head=head,
        via=via,
        distance=st.dist,
        time=st.ct,
        recharge_coef=st.ht,
        soc_through=through,
        energy=-st.a if through else 0.0,
        arrival_soc=st.a if not through else math.nan,
        soc_required=st.req,
        variance=st.var,
        reload=st.reload,
        return_time=st.rt,
        return_coef=st.rht,
        drive_time=st.drive,
        total_energy=st.used,
    )


def _dominates(a: Arc, b: Arc, ra: RoutingArrays, b_max: float) -> bool:
    """True if arc ``a`` is at least as good as ``b`` for every departure SoC where ``b`` is usable."""
    if a.distance > b.distance + _EPS or a.variance > b.variance + _EPS or a.soc_required > b.soc_required + _EPS:
        return False
    battery = ra.battery_capacity
    if not math.isfinite(battery):
        return a.time <= b.time + _EPS and a.return_time <= b.return_time + _EPS
    lo = ra.min_soc + b.soc_required
    hi = max(lo, b_max)
    for soc in (lo, hi):
        if a.travel_time(soc, battery) > b.travel_time(soc, battery) + _EPS:
            return False
        if a.soc_on_arrival(soc) < b.soc_on_arrival(soc) - _EPS:
            return False
        if a.reload:
            ra_ret = a.return_time + a.return_coef * (battery - soc)
            rb_ret = b.return_time + b.return_coef * (battery - soc)
            if ra_ret > rb_ret + _EPS:
                return False
    return True


def _pareto(arcs: list[Arc], ra: RoutingArrays, b_max: float) -> list[Arc]:
    arcs = sorted(arcs, key=lambda x: (x.distance, x.time, len(x.via)))
    kept: list[Arc] = []
    for arc in arcs:
        if any(_dominates(k, arc, ra, b_max) for k in kept):
            continue
        kept = [k for k in kept if not _dominates(arc, k, ra, b_max)]
        kept.append(arc)
    return kept


def _station_chains(ra: RoutingArrays, max_chain: int) -> list[tuple[int, ...]]:
    """Chains of distinct stations whose inner hops fit in one battery; per (first, last) only non-dominated."""
    n, m = ra.n_requests, ra.n_stations
    stations = list(range(n + 1, n + m + 1))
    usable = ra.battery_capacity - ra.min_soc
    best: dict[tuple[int, int], list[tuple[float, float, float, tuple[int, ...]]]] = {}
    for length in range(1, max_chain + 1):
        for chain in itertools.permutations(stations, length):
            if any(ra.energy[p, q] > usable + _EPS for p, q in itertools.pairwise(chain)):
                continue
            dist = sum(float(ra.distance[p, q]) for p, q in itertools.pairwise(chain))
            time = sum(
                float(ra.travel_mean[p, q]) + ra.recharge_rate * float(ra.energy[p, q])
                for p, q in itertools.pairwise(chain)
            )
            var = sum(float(ra.travel_var[p, q]) for p, q in itertools.pairwise(chain))
            best.setdefault((chain[0], chain[-1]), []).append((dist, time, var, chain))
    chains: list[tuple[int, ...]] = []
    for options in best.values():
        options.sort()
        kept: list[tuple[float, float, float, tuple[int, ...]]] = []
        for opt in options:
            if any(k[0] <= opt[0] + _EPS and k[1] <= opt[1] + _EPS and k[2] <= opt[2] + _EPS for k in kept):
                continue
            kept.append(opt)
        chains += [k[3] for k in kept]
    return chains


def _max_soc(ra: RoutingArrays) -> np.ndarray:
    """Upper bound of the SoC on arrival at every request (energy from the nearest charger or the depot)."""
    n, m = ra.n_requests, ra.n_stations
    battery = ra.battery_capacity
    out = np.full(n + m + 1, battery)
    if not math.isfinite(battery):
        return out
    chargers = [0, *range(n + 1, n + m + 1)]
    for i in range(1, n + 1):
        out[i] = battery - min(float(ra.energy[c, i]) for c in chargers)
    return out


def _min_exit(ra: RoutingArrays) -> np.ndarray:
    """Energy needed from each request to the nearest charger or the depot."""
    n, m = ra.n_requests, ra.n_stations
    out = np.zeros(n + m + 1)
    if not math.isfinite(ra.battery_capacity):
        return out
    chargers = [0, *range(n + 1, n + m + 1)]
    for i in range(1, n + 1):
        out[i] = min(float(ra.energy[i, c]) for c in chargers)
    return out


def _legs(
    ra: RoutingArrays, tail: int, head: int, chains: list[tuple[int, ...]], start_full: bool, b_max: float
) -> list[tuple[tuple[int, ...], _Sym]]:
    """Non-dominated ways from ``tail`` to ``head`` (direct or through one station chain), symbolically."""
    options: list[tuple[tuple[int, ...], _Sym]] = []
    for stops in [(), *chains]:
        st = _walk(ra, tail, stops, head, start_full)
        if st is None or ra.min_soc + st.req > b_max + _EPS:
            continue
        options.append((stops, st))
    if len(options) <= 1:
        return options
    as_arcs = [_to_arc(tail, head, stops, st, ra.battery_capacity) for stops, st in options]
    kept = _pareto(as_arcs, ra, b_max)
    keep_ids = {id(a) for a in kept}
    return [opt for opt, arc in zip(options, as_arcs, strict=True) if id(arc) in keep_ids]


def build_arcs(ra: RoutingArrays, max_chain: int = 3) -> list[Arc]:
    """All non-dominated, preprocessed arcs of the arc-based model.

    Parameters
    ----------
    ra
        The problem arrays.
    max_chain
        Most charging stations visited in a row between two requests (or a request and the depot).

    Returns
    -------
    list of Arc
        Direct and station-chain arcs between the depot and the requests; reload arcs through the depot when
        ``ra.max_trips > 1``.
    """
    n = ra.n_requests
    battery = ra.battery_capacity
    has_battery = math.isfinite(battery)
    chains = _station_chains(ra, max_chain) if has_battery and ra.n_stations else []
    b_max = _max_soc(ra)
    exit_need = _min_exit(ra)
    ready, due, service, demand = ra.ready, ra.due, ra.service_mean, ra.demand
    horizon = float(due[0])
    t = ra.travel_mean

    def feasible_head(arc: Arc, earliest_departure: float, tail: int) -> bool:
        head = arc.head
        arrive = earliest_departure + arc.time
        if arc.reload and earliest_departure + arc.return_time > horizon + _EPS:
            return False
        if head == 0:
            return arrive <= horizon + _EPS
        if arrive > due[head] + _EPS:
            return False
        if max(arrive, ready[head]) + service[head] + t[head, 0] > horizon + _EPS:
            return False
        if has_battery:
            soc_in = arc.soc_on_arrival(float(b_max[tail]))
            if soc_in < ra.min_soc + exit_need[head] - _EPS:
                return False
        return True

    arcs: list[Arc] = []
    tails = range(n + 1)
    for tail in tails:
        start_full = tail == 0
        dep = float(ready[0]) if tail == 0 else float(ready[tail] + service[tail])
        for head in range(n + 1):
            if head == tail:
                continue
            if tail and head and demand[tail] + demand[head] > ra.capacity + _EPS:
                continue
            for stops, st in _legs(ra, tail, head, chains, start_full, float(b_max[tail])):
                arc = _to_arc(tail, head, stops, st, battery)
                if feasible_head(arc, dep, tail):
                    arcs.append(arc)
    if ra.max_trips > 1 and n:
        arcs += _reload_arcs(ra, chains, b_max, feasible_head)
    return arcs


def _reload_arcs(ra: RoutingArrays, chains, b_max: np.ndarray, feasible_head) -> list[Arc]:
    """Arcs request -> (stations) -> depot stop -> (stations) -> request that close one trip and open the next."""
    n = ra.n_requests
    battery = ra.battery_capacity
    out: list[Arc] = []
    for tail in range(1, n + 1):
        to_depot = _legs(ra, tail, 0, chains, False, float(b_max[tail]))
        dep = float(ra.ready[tail] + ra.service_mean[tail])
        for head in range(1, n + 1):
            if head == tail:
                continue
            from_depot = _legs(ra, 0, head, chains, False, battery)
            candidates: list[Arc] = []
            for (s1, _), (s2, _) in itertools.product(to_depot, from_depot):
                via = (*s1, 0, *s2)
                st = _walk(ra, tail, via, head, start_full=False)
                if st is None or ra.min_soc + st.req > b_max[tail] + _EPS:
                    continue
                arc = _to_arc(tail, head, via, st, battery)
                if feasible_head(arc, dep, tail):
                    candidates.append(arc)
            out += _pareto(candidates, ra, float(b_max[tail]))
    return out
