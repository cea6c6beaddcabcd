"""The arc-based MIP of the (multi-trip) E-VRPTW and the set-partitioning MIP over enumerated AMR plans.

Arc model (deterministic problems)
----------------------------------
Two-index flow over the non-dominated arcs of :func:`solvers.mip.arcs.build_arcs` (station stops and depot reloads
are inside the arcs, so there are no station copies and no vehicle index, hence no vehicle symmetry):

* ``x_a`` binary per arc; every request has in-degree and out-degree 1; the AMRs used are the arcs leaving the depot
  that are not reloads (``<= max_vehicles``, ``>= ceil(total demand / (capacity * max_trips))``);
* ``T_i`` start of service at request ``i`` in ``[ready_i, due_i]``; per arc
  ``T_v >= T_u + s_u + time_a + g_a (B - b_u) - M_a (1 - x_a)`` with ``M_a`` computed from the variable bounds of
  that arc (tight big-M), plus aggregated bounds ``T_v >= sum_a earliest_a x_a`` and ``T_u <= sum_a latest_a x_a``;
* ``b_i`` SoC on arrival at ``i``: ``b_u >= min_soc + sum_{a out of u} required_a x_a`` and
  ``b_v <= b_u - energy_a + M_a (1 - x_a)`` (no charger on the arc) or ``b_v <= sum_a arrival_soc_a x_a``;
* ``l_i`` load delivered up to ``i`` in the trip (MTZ with ``M = C``; reset on reload arcs);
* ``r_i`` trip number of the AMR at ``i`` (only with reload arcs): ``r_v >= r_u + 1`` on reload arcs,
  ``r_i <= max_trips - 1``.

Objective: ``fixed_cost * AMRs + cost_per_distance * distance``.

Set-partitioning model (exact for any route evaluation, e.g. the chance constraint or SAA)
------------------------------------------------------------------------------------------
One binary per feasible AMR day plan (column), each request covered exactly once, at most ``max_vehicles`` columns.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from solvers.mip.arcs import Arc, build_arcs
from solvers.mip.linear import LinearModel
from solvers.routing_arrays import RoutingArrays

_EPS = 1e-9


@dataclass
class ArcModel:
    """The arc-based MIP with the maps needed to read a plan back."""

    model: LinearModel
    arcs: list[Arc]
    x: list[int]
    start: dict[int, int]
    soc: dict[int, int] = field(default_factory=dict)
    load: dict[int, int] = field(default_factory=dict)
    trip: dict[int, int] = field(default_factory=dict)


def build_arc_model(
    ra: RoutingArrays, arcs: list[Arc] | None = None, max_chain: int = 3
) -> ArcModel:
    """Formulate the deterministic multi-trip E-VRPTW on station-chain arcs.

    Parameters
    ----------
    ra
        Problem arrays (hard time windows, every request served; stochastic problems go through
        :func:`build_set_partitioning_model`).
    arcs
        Precomputed arcs (default: :func:`build_arcs` with ``max_chain``).
    max_chain
        Most stations in a row on one arc.

    Raises
    ------
    ValueError
        For soft time windows or optional requests (not modelled here).
    """
    if not ra.hard_time_windows:
        raise ValueError("the arc MIP models hard time windows only")
    if np.isfinite(ra.rejection_cost[1:]).any():
        raise ValueError("the arc MIP requires every request to be served (no rejection costs)")
    if arcs is None:
        arcs = build_arcs(ra, max_chain=max_chain)
    n = ra.n_requests
    battery = ra.battery_capacity
    has_battery = math.isfinite(battery)
    g_min_soc = ra.min_soc
    ready, due, service, demand = ra.ready, ra.due, ra.service_mean, ra.demand
    horizon = float(due[0])
    m = LinearModel()
    x = [
        m.add_var(
            f"x_{a.tail}_{a.head}_{'-'.join(map(str, a.via))}",
            0,
            1,
            integer=True,
            cost=ra.cost_per_distance * a.distance + (ra.fixed_cost if a.tail == 0 else 0.0),
        )
        for a in arcs
    ]
    into: dict[int, list[int]] = defaultdict(list)
    out: dict[int, list[int]] = defaultdict(list)
    for k, a in enumerate(arcs):
        into[a.head].append(k)
        out[a.tail].append(k)
    missing = [i for i in range(1, n + 1) if not into[i] or not out[i]]
    if missing:
        raise ValueError(f"requests {missing} have no feasible incoming or outgoing arc")
    start = {i: m.add_var(f"T_{i}", ready[i], due[i]) for i in range(1, n + 1)}
    soc = {i: m.add_var(f"b_{i}", g_min_soc, battery) for i in range(1, n + 1)} if has_battery else {}
    need_load = float(demand[1 : n + 1].sum()) > ra.capacity + _EPS
    load = {i: m.add_var(f"l_{i}", demand[i], ra.capacity) for i in range(1, n + 1)} if need_load else {}
    reload_arcs = [k for k, a in enumerate(arcs) if a.reload]
    trip = (
        {i: m.add_var(f"r_{i}", 0, ra.max_trips - 1, integer=True) for i in range(1, n + 1)}
        if reload_arcs
        else {}
    )

    # degree constraints
    for i in range(1, n + 1):
        m.add_row(f"in_{i}", {x[k]: 1.0 for k in into[i]}, 1.0, 1.0)
        m.add_row(f"out_{i}", {x[k]: 1.0 for k in out[i]}, 1.0, 1.0)
    fleet = {x[k]: 1.0 for k in out[0]}
    lower = math.ceil(float(demand.sum()) / (ra.capacity * ra.max_trips) - 1e-9) if n else 0
    m.add_row("fleet", fleet, max(lower, 1 if n else 0), ra.max_vehicles)

    def departure_bounds(u: int) -> tuple[float, float]:
        if u == 0:
            return float(ready[0]), float(ready[0])
        return float(ready[u] + service[u]), float(due[u] + service[u])

    recharge_span = (battery - g_min_soc) if has_battery else 0.0
    earliest_in: dict[int, dict[int, float]] = defaultdict(dict)
    latest_out: dict[int, dict[int, float]] = defaultdict(dict)
    for k, a in enumerate(arcs):
        u, v = a.tail, a.head
        dep_lo, dep_hi = departure_bounds(u)
        # the SoC on departure from the depot is B on the first trip: no recharge term from the depot
        g_coef = a.recharge_coef if u != 0 else 0.0
        ret_coef = a.return_coef if u != 0 else 0.0
        if v != 0:
            earliest_in[v][x[k]] = max(float(ready[v]), dep_lo + a.time)
        if u != 0:
            latest = (float(due[v]) if v != 0 else horizon) - float(service[u]) - a.time
            if a.reload:
                latest = min(latest, horizon - float(service[u]) - a.return_time)
            latest_out[u][x[k]] = max(float(ready[u]), min(float(due[u]), latest))
        # time propagation with a per-arc big-M
        if v != 0:
            if u == 0:
                continue  # covered by the aggregated earliest-arrival bound
            big_m = dep_hi + a.time + g_coef * recharge_span - float(ready[v])
            if big_m > _EPS:
                coefs = {start[v]: 1.0, start[u]: -1.0, x[k]: -big_m}
                if g_coef and has_battery:
                    coefs[soc[u]] = coefs.get(soc[u], 0.0) + g_coef
                recharge_const = g_coef * battery if g_coef else 0.0
                m.add_row(f"time_{k}", coefs, float(service[u]) + a.time + recharge_const - big_m)
        else:
            # return to the depot by the horizon
            if u != 0 and g_coef:
                big_m = dep_hi + a.time + g_coef * recharge_span - horizon
                if big_m > _EPS:
                    coefs = {start[u]: 1.0, soc[u]: -g_coef, x[k]: big_m}
                    m.add_row(f"ret_{k}", coefs, ub=horizon + big_m - float(service[u]) - a.time - g_coef * battery)
        if a.reload and ret_coef and has_battery:
            big_m = dep_hi + a.return_time + ret_coef * recharge_span - horizon
            if big_m > _EPS:
                coefs = {start[u]: 1.0, soc[u]: -ret_coef, x[k]: big_m}
                m.add_row(
                    f"reload_ret_{k}",
                    coefs,
                    ub=horizon + big_m - float(service[u]) - a.return_time - ret_coef * battery,
                )
        # SoC
        if has_battery and v != 0 and a.soc_through and u != 0:
            big_m = battery - g_min_soc + a.energy
            m.add_row(f"soc_{k}", {soc[v]: 1.0, soc[u]: -1.0, x[k]: big_m}, ub=big_m - a.energy)
        # load
        if need_load and u != 0 and v != 0 and not a.reload:
            cap = ra.capacity
            m.add_row(f"load_{k}", {load[v]: 1.0, load[u]: -1.0, x[k]: -cap}, float(demand[v]) - cap)
        # trip counter
        if trip and u != 0 and v != 0:
            step = 1.0 if a.reload else 0.0
            big_m = ra.max_trips - 1 + step
            m.add_row(f"trip_{k}", {trip[v]: 1.0, trip[u]: -1.0, x[k]: -big_m}, step - big_m)
    # fleet duration bound: the travel, recharge (at least its constant part) and service on the arcs of an AMR fit
    # into its working day, so sum_a (s_tail + time_a) x_a <= (horizon - start of day) * AMRs
    day = horizon - float(ready[0])
    duration = {x[k]: float(service[a.tail]) + a.time for k, a in enumerate(arcs)}
    for k in out[0]:
        duration[x[k]] = duration.get(x[k], 0.0) - day
    m.add_row("duration", duration, ub=0.0)
    if has_battery and ra.recharge_rate > 0:
        # energy balance: an AMR recharges at least (energy used - (B - min_soc)) during its day, at g per unit, so
        # sum_a (s_tail + drive_a + g energy_a) x_a <= (day + g (B - min_soc)) * AMRs
        allowance = day + ra.recharge_rate * (battery - g_min_soc)
        energy_row = {
            x[k]: float(service[a.tail]) + a.drive_time + ra.recharge_rate * a.total_energy for k, a in enumerate(arcs)
        }
        for k in out[0]:
            energy_row[x[k]] = energy_row.get(x[k], 0.0) - allowance
        m.add_row("duration_energy", energy_row, ub=0.0)
    # no 2-cycles between two requests
    pair: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
    for k, a in enumerate(arcs):
        if a.tail and a.head:
            pair[(min(a.tail, a.head), max(a.tail, a.head))][x[k]] = 1.0
    for (u, v), coefs in pair.items():
        m.add_row(f"twocycle_{u}_{v}", coefs, ub=1.0)
    for v in range(1, n + 1):
        m.add_row(f"earliest_{v}", {start[v]: 1.0, **{c: -e for c, e in earliest_in[v].items()}}, 0.0)
        m.add_row(f"latest_{v}", {start[v]: 1.0, **{c: -e for c, e in latest_out[v].items()}}, ub=0.0)
        if has_battery:
            m.add_row(
                f"socreq_{v}",
                {soc[v]: 1.0, **{x[k]: -arcs[k].soc_required for k in out[v] if arcs[k].soc_required > 0}},
                g_min_soc,
            )
            caps: dict[int, float] = {}
            for k in into[v]:
                a = arcs[k]
                if (a.soc_through and a.tail != 0) or a.soc_through:
                    caps[x[k]] = battery - a.energy
                else:
                    caps[x[k]] = a.arrival_soc
            m.add_row(f"soccap_{v}", {soc[v]: 1.0, **{c: -e for c, e in caps.items()}}, ub=0.0)
    return ArcModel(m, arcs, x, start, soc, load, trip)


def extract_plan(am: ArcModel, values: Sequence[float]) -> list[list[list[int]]]:
    """Read the AMR day plans (per AMR, per trip, node indices without the depot) from a solution vector.

    Raises
    ------
    RuntimeError
        If the chosen arcs do not form depot-to-depot paths covering every request once (a subtour).
    """
    chosen = [a for a, c in zip(am.arcs, am.x, strict=True) if values[c] > 0.5]
    succ: dict[int, Arc] = {}
    starts: list[Arc] = []
    for a in chosen:
        if a.tail == 0:
            starts.append(a)
        else:
            if a.tail in succ:
                raise RuntimeError(f"request {a.tail} has two successors")
            succ[a.tail] = a
    plans: list[list[list[int]]] = []
    seen: set[int] = set()
    for first in sorted(starts, key=lambda a: a.head):
        trips: list[list[int]] = [[]]
        arc = first
        while True:
            for node in arc.via:
                if node == 0:
                    trips.append([])
                else:
                    trips[-1].append(node)
            if arc.head == 0:
                break
            if arc.head in seen:
                raise RuntimeError(f"request {arc.head} visited twice")
            seen.add(arc.head)
            trips[-1].append(arc.head)
            arc = succ[arc.head]
        plans.append(trips)
    if len(seen) != len(succ):
        raise RuntimeError("the MIP solution contains a subtour")
    return plans


def warm_start_values(am: ArcModel, amr_trips: Sequence[Sequence[Sequence[int]]], n_requests: int) -> dict[int, float]:
    """Column hints for a known plan: the arc variables of its legs (exact leg if kept, else the shortest arc)."""
    by_key: dict[tuple[int, int, bool], list[int]] = defaultdict(list)
    for k, a in enumerate(am.arcs):
        by_key[(a.tail, a.head, a.reload)].append(k)
    hint = {c: 0.0 for c in am.x}
    for trips in amr_trips:
        nodes: list[tuple[int, tuple[int, ...]]] = []  # (request, via before it)
        via: list[int] = []
        first_trip = True
        for trip in trips:
            if not trip:
                continue
            if not first_trip:
                via.append(0)
            first_trip = False
            for node in trip:
                if 1 <= node <= n_requests:
                    nodes.append((node, tuple(via)))
                    via = []
                else:
                    via.append(node)
        if not nodes:
            continue
        legs = [*nodes, (0, tuple(via))]
        prev = 0
        for node, stops in legs:
            reload = 0 in stops
            options = by_key.get((prev, node, reload), [])
            if not options:
                return {}
            exact = [k for k in options if am.arcs[k].via == stops]
            k = exact[0] if exact else min(options, key=lambda k: am.arcs[k].distance)
            hint[am.x[k]] = 1.0
            prev = node
    return hint


@dataclass(frozen=True)
class Column:
    """One feasible AMR day plan for the set-partitioning model."""

    requests: frozenset[int]
    cost: float
    trips: tuple[tuple[int, ...], ...]


def build_set_partitioning_model(columns: Sequence[Column], n_requests: int, max_vehicles: int) -> LinearModel:
    """Each request in exactly one chosen column; at most ``max_vehicles`` columns; minimise the columns' cost."""
    m = LinearModel()
    cols = [m.add_var(f"p{k}", 0, 1, integer=True, cost=c.cost) for k, c in enumerate(columns)]
    cover: dict[int, dict[int, float]] = defaultdict(dict)
    for k, c in enumerate(columns):
        for i in c.requests:
            cover[i][cols[k]] = 1.0
    for i in range(1, n_requests + 1):
        m.add_row(f"cover_{i}", cover[i], 1.0, 1.0)
    m.add_row("fleet", {c: 1.0 for c in cols}, ub=max_vehicles)
    return m
