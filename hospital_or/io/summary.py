"""A short description of an instance: sizes, fleet, battery, horizon, priorities, dynamism, uncertainty."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from hospital_or.problem import Problem


def instance_summary(problem: Problem) -> dict[str, Any]:
    """Key facts about ``problem`` as a JSON-ready dict.

    Returns
    -------
    dict
        ``name``, ``source``, ``requests``, ``stations``, ``capacity``, ``max_vehicles``, ``max_trips``,
        ``battery`` (``None`` without battery, else capacity, energy per distance, recharge rate, min SoC share),
        ``horizon`` (``[ready, horizon]`` of the depot), ``total_demand``, ``priorities`` (count per priority
        ``"1"``-``"3"``), ``dynamic_requests`` (reveal > 0), ``dynamism`` (their share, the degree of dynamism),
        ``effective_dynamism`` (mean reveal / horizon length, Larsen's edod), ``floors``, ``stochastic``
        (``cv_travel``, ``cv_service``, ``beta``, elevator ``wait_max``, ``is_stochastic``), ``time_windows``
        (``"hard"`` or ``"soft"``) and ``rejection_allowed``.
    """
    f = problem.fleet
    n = problem.n_requests
    day = problem.depot.horizon - problem.depot.ready
    dynamic = [r for r in problem.requests if r.reveal > 0]
    counts = Counter(r.priority for r in problem.requests)
    floors = sorted({problem.depot.floor, *(r.floor for r in problem.requests), *(s.floor for s in problem.stations)})
    battery = None
    if f.has_battery:
        battery = {
            "capacity": f.battery_capacity,
            "energy_per_distance": f.energy_per_distance,
            "recharge_rate": f.recharge_rate,
            "min_soc_fraction": f.min_soc_fraction,
            "depot_charging": f.depot_charging,
        }
    s = problem.stochastic
    return {
        "name": problem.name,
        "source": problem.source,
        "requests": n,
        "stations": problem.n_stations,
        "capacity": f.capacity,
        "max_vehicles": f.max_vehicles,
        "max_trips": f.max_trips,
        "speed": f.speed,
        "battery": battery,
        "horizon": [problem.depot.ready, problem.depot.horizon],
        "total_demand": math.fsum(r.demand for r in problem.requests),
        "priorities": {str(p): counts.get(p, 0) for p in (1, 2, 3)},
        "dynamic_requests": len(dynamic),
        "dynamism": len(dynamic) / n if n else 0.0,
        "effective_dynamism": (
            math.fsum(r.reveal - problem.depot.ready for r in dynamic) / (n * day) if n and day > 0 else 0.0
        ),
        "floors": floors,
        "stochastic": {
            "is_stochastic": problem.is_stochastic,
            "cv_travel": s.cv_travel,
            "cv_service": s.cv_service,
            "beta": s.beta,
            "elevator_wait_max": problem.elevator.wait_max if problem.elevator is not None else None,
        },
        "time_windows": "hard" if problem.hard_time_windows else "soft",
        "rejection_allowed": problem.rejection_costs is not None,
    }


def format_summary(summary: dict[str, Any]) -> str:
    """A readable multi-line text of :func:`instance_summary`."""
    b = summary["battery"]
    st = summary["stochastic"]
    pr = summary["priorities"]
    rows = [
        ("name", summary["name"]),
        ("source", summary["source"] or "-"),
        ("requests", f"{summary['requests']} (total demand {summary['total_demand']:g})"),
        ("stations", summary["stations"]),
        (
            "fleet",
            f"{summary['max_vehicles']} AMRs x {summary['max_trips']} trips, capacity {summary['capacity']:g}, "
            f"speed {summary['speed']:g}",
        ),
        (
            "battery",
            "none"
            if b is None
            else f"{b['capacity']:g} energy, {b['energy_per_distance']:g}/distance, "
            f"recharge {b['recharge_rate']:g} time/energy, "
            f"min SoC {b['min_soc_fraction']:.0%}, depot charging {'yes' if b['depot_charging'] else 'no'}",
        ),
        ("horizon", f"[{summary['horizon'][0]:g}, {summary['horizon'][1]:g}]"),
        ("priorities", f"1: {pr['1']}  2: {pr['2']}  3: {pr['3']}"),
        (
            "dynamism",
            f"{summary['dynamism']:.1%} revealed during the day ({summary['dynamic_requests']} requests), "
            f"effective {summary['effective_dynamism']:.3f}",
        ),
        ("floors", ", ".join(str(f) for f in summary["floors"])),
        ("time windows", summary["time_windows"] + (", rejection allowed" if summary["rejection_allowed"] else "")),
        (
            "stochastic",
            "no"
            if not st["is_stochastic"]
            else f"cv travel {st['cv_travel']:g}, cv service {st['cv_service']:g}, beta {st['beta']:g}"
            + (f", elevator wait <= {st['elevator_wait_max']:g}" if st["elevator_wait_max"] else ""),
        ),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
