"""Time plots of a checked plan: the AMR Gantt chart and the state-of-charge profiles.

Both read the schedule the independent checker recomputes (:class:`hospital_or.report.Report`: ``TripRecord`` and
``VisitRecord``); in stochastic problems these are expected times, and a trip's ``end`` is the beta-quantile of its
return (what the next trip of the AMR waits for).
"""

from __future__ import annotations

import math

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from hospital_or.plotting._common import amr_colour, format_time_axis, get_axes, uses_clock
from hospital_or.problem import Problem
from hospital_or.report import Report, TripRecord

__all__ = ["GANTT_COLOURS", "plot_gantt", "plot_soc"]

#: Colours of the Gantt activities.
GANTT_COLOURS = {
    "driving": "#7fa7d1",
    "waiting": "#f2c14e",
    "service": "#2a9d4b",
    "charging": "#d1495b",
    "turnaround": "#b0b0b0",
}


def _trips_by_amr(report: Report) -> dict[int, list[TripRecord]]:
    out: dict[int, list[TripRecord]] = {}
    for trip in report.schedule:
        out.setdefault(trip.amr, []).append(trip)
    for trips in out.values():
        trips.sort(key=lambda t: (t.start, t.trip))
    return out


def plot_gantt(problem: Problem, report: Report, ax: Axes | None = None, hours: bool | None = None) -> Axes:
    """Gantt chart of the AMRs: per AMR one row, per trip a box with driving, waiting, service and charging.

    Parameters
    ----------
    problem
        The instance (horizon, turnaround).
    report
        The checker's report of a plan (``report.schedule``).
    ax
        Axes to draw on (a new figure when ``None``).
    hours
        Show times as hh:mm (seconds since midnight); ``None`` decides from the horizon (>= 6 h in seconds).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    by_amr = _trips_by_amr(report)
    ax = get_axes(ax, figsize=(10.0, max(2.5, 0.45 * len(by_amr) + 1.5)))
    height = 0.7
    label_width = 0.025 * (problem.depot.horizon - problem.depot.ready)
    for row, amr in enumerate(sorted(by_amr)):
        y = row - height / 2
        bars: dict[str, list[tuple[float, float]]] = {k: [] for k in GANTT_COLOURS}
        for trip in by_amr[amr]:
            previous = trip.start
            for v in trip.visits:
                if v.arrival > previous:
                    bars["driving"].append((previous, v.arrival - previous))
                if v.kind == "request":
                    if v.wait > 0:
                        bars["waiting"].append((v.arrival, v.wait))
                    if v.departure > v.start:
                        bars["service"].append((v.start, v.departure - v.start))
                    previous = v.departure
                elif v.kind == "station":
                    if v.departure > v.arrival:
                        bars["charging"].append((v.arrival, v.departure - v.arrival))
                    previous = v.departure
                else:  # closing depot return; a depot recharge follows it
                    if v.recharge_time > 0:
                        bars["charging"].append((v.arrival, v.recharge_time))
                    previous = v.arrival + v.recharge_time
            if problem.fleet.depot_turnaround > 0 and trip is not by_amr[amr][-1]:
                bars["turnaround"].append((max(previous, trip.end), problem.fleet.depot_turnaround))
            ax.add_patch(_outline(trip, y, height))
            if trip.end - trip.start >= label_width:  # number the trips that are wide enough to read
                ax.annotate(str(trip.trip + 1), ((trip.start + trip.end) / 2, row), ha="center", va="center",
                            fontsize=6, color="k", alpha=0.6)
        for kind, spans in bars.items():
            if spans:
                bar = ax.broken_barh(spans, (y, height), facecolors=GANTT_COLOURS[kind], edgecolors="none",
                                     zorder=2)
                bar.set_gid(f"{kind}:{amr}")
    rows = sorted(by_amr)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"AMR {a}" for a in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(problem.depot.ready, problem.depot.horizon)
    ax.axvline(problem.depot.horizon, color="k", lw=1, ls=":")
    format_time_axis(ax, uses_clock(problem, hours), problem.depot.horizon - problem.depot.ready)
    handles = [Patch(color=c, label=k) for k, c in GANTT_COLOURS.items()]
    handles.append(Patch(facecolor="none", edgecolor="k", label="trip (start to planned return)"))
    ax.legend(handles=handles, loc="upper right", fontsize=7, ncol=3, framealpha=0.8)
    ax.set_title(f"{problem.name}: {report.vehicles} AMRs, {report.trips} trips")
    ax.grid(axis="x", alpha=0.3)
    return ax


def _outline(trip: TripRecord, y: float, height: float) -> Rectangle:
    return Rectangle((trip.start, y), max(trip.end - trip.start, 0.0), height, fill=False, edgecolor="k", lw=0.6,
                     zorder=3)


def plot_soc(problem: Problem, report: Report, ax: Axes | None = None, hours: bool | None = None) -> Axes:
    """State of charge of every AMR over the day (driving drains it, stations and the depot recharge it).

    Parameters
    ----------
    problem
        The instance (battery capacity and minimum state of charge).
    report
        The checker's report of a plan.
    ax
        Axes to draw on (a new figure when ``None``).
    hours
        Show times as hh:mm; ``None`` decides from the horizon.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on. Without a battery (``battery_capacity`` infinite) only a note is drawn.
    """
    ax = get_axes(ax, figsize=(10.0, 4.5))
    fleet = problem.fleet
    format_time_axis(ax, uses_clock(problem, hours), problem.depot.horizon - problem.depot.ready)
    ax.set_xlim(problem.depot.ready, problem.depot.horizon)
    if not fleet.has_battery:
        ax.text(0.5, 0.5, "no battery constraint in this problem", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_title(f"{problem.name}: state of charge")
        return ax
    full = float(fleet.battery_capacity)
    handles = []
    for amr, trips in sorted(_trips_by_amr(report).items()):
        times, socs = [problem.depot.ready], [full]
        soc = full
        for trip in trips:
            times.append(trip.start)
            socs.append(soc)  # idle at the depot until the trip leaves
            for v in trip.visits:
                if math.isfinite(v.soc_arrival):
                    times.append(v.arrival)
                    socs.append(v.soc_arrival)
                end = v.arrival + v.recharge_time if v.kind == "depot" else v.departure
                if math.isfinite(v.soc_departure):
                    times.append(end)
                    socs.append(v.soc_departure)
                    soc = v.soc_departure
        times.append(problem.depot.horizon)
        socs.append(soc)
        colour = amr_colour(amr)
        ax.plot(times, socs, color=colour, lw=1.2, alpha=0.9)
        handles.append(Line2D([], [], color=colour, label=f"AMR {amr}"))
    floor = fleet.min_soc_fraction * full
    ax.axhline(floor, color="#d62728", ls="--", lw=1)
    handles.append(Line2D([], [], color="#d62728", ls="--", label=f"minimum ({fleet.min_soc_fraction:.0%})"))
    ax.set_ylim(0, full * 1.05)
    ax.set_ylabel("state of charge (energy units; % for hospital instances)")
    if len(handles) > 13:
        handles = [*handles[:11], Line2D([], [], ls="", label=f"... {len(handles) - 12} more"), handles[-1]]
    ax.legend(handles=handles, loc="lower left", fontsize=7, ncol=2, framealpha=0.8)
    ax.set_title(f"{problem.name}: state of charge per AMR")
    ax.grid(alpha=0.3)
    return ax
