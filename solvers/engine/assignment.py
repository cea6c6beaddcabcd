"""Exact trip simulation and the assignment of trips to AMRs (spec 2.5 P5, interval partitioning).

The local search prices every trip as if it left the depot at the start of the day with a full battery. A plan
runs several trips per AMR one after another, so this module (i) simulates a trip exactly from a given departure
time and state of charge (same rules as ``docs/semantics.md``; beta-quantile chaining in stochastic problems) and
(ii) packs trips onto as few AMRs as possible: every trip gets its latest feasible departure (bisection, the
constraints are monotone in the departure time), trips are taken in increasing order of that deadline and each goes
to the AMR that becomes free latest while still in time (best fit), a new AMR otherwise. With fixed intervals this
is exactly the interval-partitioning rule (sort by start, reuse the machine freed last); with the flexible
departures of our trips it is a greedy heuristic, verified by exact simulation of every chain it builds.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from solvers.engine.kernels import (
    N_DEM,
    N_DUE,
    N_ISST,
    N_LW,
    N_READY,
    N_SERV,
    N_SVAR,
    clark_max,
    expected_lateness,
)

# result fields of simulate_trip
T_END_MU, T_END_VAR, T_END_Q, T_SOC, T_TIME_VIOL, T_BATT_VIOL, T_LOAD, T_DIST, T_LCOST = range(9)


@njit(cache=True)
def simulate_trip(trip, depart, soc0, D, T, TV, E, node, battery, min_soc, recharge_rate, horizon, z, soft):
    """Run one trip exactly from ``depart`` with state of charge ``soc0``.

    Returns a float64 array: mean/variance of the return time, its beta-quantile ``mu + z sd``, the state of
    charge on return, the time violation (sum of ``max(0, mu_A + z sd_A - due)`` over requests when windows are
    hard, plus the horizon excess), the battery violation (sum of the deficits below ``min_soc``), the load,
    the distance and the lateness cost (soft windows).
    """
    out = np.zeros(9)
    mu = depart
    var = 0.0
    soc = soc0
    has_battery = math.isfinite(battery)
    last = 0
    n = trip.shape[0]
    for k in range(n + 1):
        j = trip[k] if k < n else 0
        out[T_DIST] += D[last, j]
        mu_a = mu + T[last, j]
        var_a = var + TV[last, j]
        if has_battery:
            soc = soc - E[last, j]
            out[T_BATT_VIOL] += max(0.0, min_soc - soc)
        if k == n:
            out[T_TIME_VIOL] += max(0.0, mu_a + z * math.sqrt(var_a) - horizon)
            mu, var = mu_a, var_a
        elif node[j, N_ISST] > 0.0:
            rech = recharge_rate * (battery - soc) if has_battery else 0.0
            mu, var = mu_a + rech, var_a
            if has_battery:
                soc = battery
        else:
            out[T_LOAD] += node[j, N_DEM]
            if not soft:
                out[T_TIME_VIOL] += max(0.0, mu_a + z * math.sqrt(var_a) - node[j, N_DUE])
            mu_s, var_s = clark_max(node[j, N_READY], mu_a, var_a)
            if soft:
                out[T_LCOST] += node[j, N_LW] * expected_lateness(mu_a, var_a, node[j, N_DUE])
            mu, var = mu_s + node[j, N_SERV], var_s + node[j, N_SVAR]
        last = j
    out[T_END_MU] = mu
    out[T_END_VAR] = var
    out[T_END_Q] = mu + z * math.sqrt(var)
    out[T_SOC] = soc
    return out


@njit(cache=True)
def _lateness_measure(trip, depart, D, T, TV, E, node, battery, min_soc, recharge_rate, horizon, z, soft):
    """Time violation of ``trip`` leaving at ``depart``, plus its lateness cost when windows are soft."""
    res = simulate_trip(trip, depart, battery, D, T, TV, E, node, battery, min_soc, recharge_rate, horizon, z, soft)
    return res[T_TIME_VIOL] + (res[T_LCOST] if soft else 0.0)


@njit(cache=True)
def latest_departure(trip, tol, D, T, TV, E, node, battery, min_soc, recharge_rate, t0, horizon, z, soft):
    """Bisection for the latest departure adding no time violation, and no lateness when windows are soft (both
    are monotone in the departure)."""
    base = _lateness_measure(trip, t0, D, T, TV, E, node, battery, min_soc, recharge_rate, horizon, z, soft)
    lo = t0
    hi = horizon
    if _lateness_measure(trip, hi, D, T, TV, E, node, battery, min_soc, recharge_rate, horizon, z,
                         soft) <= base + tol:
        return hi
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        viol = _lateness_measure(trip, mid, D, T, TV, E, node, battery, min_soc, recharge_rate, horizon, z, soft)
        if viol <= base + tol:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-7:
            break
    return lo


class TripSimulator:
    """Exact trip simulation bound to one problem's arrays (see :func:`simulate_trip`)."""

    def __init__(self, arrays, node: np.ndarray):
        self.arrays = arrays
        self.node = node
        self.D = np.ascontiguousarray(arrays.distance, dtype=np.float64)
        self.T = np.ascontiguousarray(arrays.travel_mean, dtype=np.float64)
        self.TV = np.ascontiguousarray(arrays.travel_var, dtype=np.float64)
        self.E = np.ascontiguousarray(arrays.energy, dtype=np.float64)
        self.battery = float(arrays.battery_capacity)
        self.min_soc = float(arrays.min_soc)
        self.t0 = float(arrays.ready[0])
        self.horizon = float(arrays.due[0])
        self.z = float(arrays.z_beta)
        self.soft = not bool(arrays.hard_time_windows)

    def run(self, trip: list[int] | np.ndarray, depart: float, soc0: float | None = None) -> np.ndarray:
        """Simulate ``trip`` (node indices without depots) from ``depart``; full battery by default."""
        soc = self.battery if soc0 is None else soc0
        return simulate_trip(np.asarray(trip, dtype=np.int64), float(depart), float(soc), self.D, self.T,
                             self.TV, self.E, self.node, self.battery, self.min_soc,
                             float(self.arrays.recharge_rate), self.horizon, self.z, self.soft)

    def latest_departure(self, trip: list[int], tol: float = 1e-6) -> float:
        """Latest departure that adds no time violation to the trip's violation at the start of the day."""
        return float(latest_departure(
            np.asarray(trip, dtype=np.int64), tol, self.D, self.T, self.TV, self.E, self.node, self.battery,
            self.min_soc, float(self.arrays.recharge_rate), self.t0, self.horizon, self.z, self.soft))


def assign_trips(trips: list[list[int]], sim: TripSimulator, tol: float = 1e-6,
                 lateness_cap: float | None = None) -> list[list[int]]:
    """Pack trips onto AMRs; returns, per AMR, the indices (into ``trips``) of its trips in running order.

    A trip is chained after an AMR's last trip only if the exact simulation of the chained trip (departure
    ``max(start of day, previous return quantile + turnaround + depot recharge)``, carried-over state of charge
    without depot charging) has no more time or battery violation than the trip alone at the start of the day.
    With soft time windows the lateness a chaining adds is priced too: the trip goes to the AMR where it adds the
    least lateness cost (the one that becomes free latest among equals), and to a new AMR when even that exceeds
    ``lateness_cap`` (default: the fixed cost of an AMR) while the fleet limit allows one more AMR.
    """
    a = sim.arrays
    if not trips:
        return []
    if a.max_trips <= 1:
        return [[k] for k in range(len(trips))]
    alone = [sim.run(t, sim.t0) for t in trips]
    deadline = [sim.latest_departure(t, tol) for t in trips]
    order = sorted(range(len(trips)), key=lambda k: (deadline[k], alone[k][T_END_Q], k))
    amrs: list[list[int]] = []
    free_at: list[float] = []
    soc_at: list[float] = []
    soft = sim.soft
    cap = a.fixed_cost if lateness_cap is None else lateness_cap
    for k in order:
        best = -1
        best_free = -math.inf
        best_extra = math.inf
        best_res = None
        for idx in range(len(amrs)):
            if len(amrs[idx]) >= a.max_trips or (not soft and free_at[idx] > deadline[k] + tol):
                continue
            if not soft and free_at[idx] <= best_free:
                continue
            soc0 = sim.battery if a.depot_charging else soc_at[idx]
            res = sim.run(trips[k], max(sim.t0, free_at[idx]), soc0)
            if (res[T_TIME_VIOL] > alone[k][T_TIME_VIOL] + tol
                    or res[T_BATT_VIOL] > alone[k][T_BATT_VIOL] + tol):
                continue
            extra = max(0.0, res[T_LCOST] - alone[k][T_LCOST]) if soft else 0.0
            if extra < best_extra - tol or (extra <= best_extra + tol and free_at[idx] > best_free):
                best, best_free, best_extra, best_res = idx, free_at[idx], extra, res
        if best >= 0 and best_extra > tol and best_extra > cap and len(amrs) < a.max_vehicles:
            best = -1  # the lateness of chaining costs more than one more AMR
        if best < 0:
            amrs.append([k])
            res = alone[k]
            free_at.append(0.0)
            soc_at.append(sim.battery)
            best = len(amrs) - 1
        else:
            amrs[best].append(k)
            res = best_res
        soc_ret = res[T_SOC]
        recharge = 0.0
        if a.depot_charging and math.isfinite(sim.battery):
            recharge = a.recharge_rate * (sim.battery - soc_ret)
            soc_ret = sim.battery
        free_at[best] = res[T_END_Q] + a.depot_turnaround + recharge
        soc_at[best] = soc_ret
    return amrs
