"""Maps of an instance and of a plan (free functions in the PyVRP style: ``ax=None``, return the Axes)."""

from __future__ import annotations

import itertools

from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from hospital_or.plotting._common import (
    PRIORITY_COLOURS,
    PRIORITY_LABELS,
    TRIP_STYLES,
    BuildingView,
    amr_colour,
    get_axes,
)
from hospital_or.problem import Problem
from hospital_or.solution import Solution

__all__ = ["plot_instance", "plot_routes"]


def _draw_sites(ax: Axes, problem: Problem, view: BuildingView, faded: bool = False) -> None:
    """Depot, requests (colour = priority, hollow = revealed during the day) and charging stations."""
    alpha = 0.35 if faded else 0.9
    start = problem.depot.ready
    for priority in (3, 2, 1):
        group = [r for r in problem.requests if r.priority == priority]
        if not group:
            continue
        static = [view.point(r.x, r.y, r.floor) for r in group if r.reveal <= start]
        dynamic = [view.point(r.x, r.y, r.floor) for r in group if r.reveal > start]
        colour = PRIORITY_COLOURS[priority]
        if static:
            ax.scatter(*zip(*static, strict=True), s=28, color=colour, alpha=alpha, zorder=3,
                       label=PRIORITY_LABELS[priority])
        if dynamic:
            ax.scatter(*zip(*dynamic, strict=True), s=34, facecolors="none", edgecolors=colour, linewidths=1.4,
                       alpha=alpha, zorder=3, label=None if static else PRIORITY_LABELS[priority])
    if problem.stations:
        pts = [view.point(s.x, s.y, s.floor) for s in problem.stations]
        ax.scatter(*zip(*pts, strict=True), marker="^", s=80, color="#2ca02c", edgecolors="k", zorder=4,
                   label="charging station")
    d = problem.depot
    ax.scatter(*view.point(d.x, d.y, d.floor), marker="s", s=110, color="k", zorder=5, label=f"depot {d.id}")


def plot_instance(problem: Problem, ax: Axes | None = None, annotate: bool = False) -> Axes:
    """Plot the depot, the requests and the charging stations.

    Requests are coloured by priority; hollow markers are requests revealed during the day. Problems with floors are
    drawn in a building view: floors stacked as bands (B1 at the bottom), the elevator shaft as a grey bar.

    Parameters
    ----------
    problem
        The instance.
    ax
        Axes to draw on (a new figure when ``None``).
    annotate
        Write each request's id next to it.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = get_axes(ax)
    view = BuildingView(problem)
    view.decorate(ax)
    _draw_sites(ax, problem, view)
    if annotate:
        for r in problem.requests:
            ax.annotate(r.id, view.point(r.x, r.y, r.floor), fontsize=6, xytext=(3, 3), textcoords="offset points")
    n_dyn = sum(1 for r in problem.requests if r.reveal > problem.depot.ready)
    ax.set_title(f"{problem.name}: {problem.n_requests} requests ({n_dyn} dynamic), {problem.n_stations} stations")
    ax.legend(loc="best", fontsize=8, framealpha=0.8)
    return ax


def plot_routes(problem: Problem, solution: Solution, ax: Axes | None = None, legend: bool = True) -> Axes:
    """Plot a plan: one colour per AMR, a line style per trip (solid, dashed, dotted, ...), stations marked.

    Parameters
    ----------
    problem
        The instance.
    solution
        The plan; unknown node ids are skipped, rejected requests are marked with a grey cross.
    ax
        Axes to draw on (a new figure when ``None``).
    legend
        Add a legend (AMRs, trip styles, sites).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = get_axes(ax)
    view = BuildingView(problem)
    view.decorate(ax)
    _draw_sites(ax, problem, view, faded=True)
    nodes = {problem.depot.id: problem.depot}
    nodes.update({r.id: r for r in problem.requests})
    station_ids = {s.id for s in problem.stations}
    nodes.update({s.id: s for s in problem.stations})
    handles: list[Line2D] = []  # one per AMR
    extra: list[Line2D] = []  # stations, rejections, trip styles
    used_stations: list = []
    max_trips = 0
    for a, plan in enumerate(solution.amrs):
        colour = amr_colour(a)
        trips = [t for t in plan.trips if t.visits]
        max_trips = max(max_trips, len(trips))
        for k, trip in enumerate(trips):
            path = [problem.depot, *(nodes[v] for v in trip.visits if v in nodes), problem.depot]
            xs: list[float] = []
            ys: list[float] = []
            for u, w in itertools.pairwise(path):
                px, py = view.arc(u, w)
                xs.extend(px if not xs else px[1:])
                ys.extend(py if not ys else py[1:])
            ax.plot(xs, ys, color=colour, lw=1.4, ls=TRIP_STYLES[k % len(TRIP_STYLES)], alpha=0.85, zorder=2)
            served = [view.point(nodes[v].x, nodes[v].y, nodes[v].floor) for v in trip.visits
                      if v in nodes and v not in station_ids]
            if served:
                ax.scatter(*zip(*served, strict=True), s=16, color=colour, zorder=4)
            used_stations += [nodes[v] for v in trip.visits if v in station_ids]
        if trips:
            handles.append(Line2D([], [], color=colour, lw=2, label=f"AMR {a} ({len(trips)} trips)"))
    if used_stations:
        pts = [view.point(s.x, s.y, s.floor) for s in used_stations]
        ax.scatter(*zip(*pts, strict=True), marker="^", s=140, facecolors="none", edgecolors="#2ca02c",
                   linewidths=2, zorder=5)
        extra.append(Line2D([], [], marker="^", ls="", mfc="none", mec="#2ca02c", mew=2, ms=10,
                              label="station visited"))
    rejected = [nodes[r] for r in solution.rejected if r in nodes]
    if rejected:
        pts = [view.point(r.x, r.y, r.floor) for r in rejected]
        ax.scatter(*zip(*pts, strict=True), marker="x", s=60, color="0.4", zorder=5)
        extra.append(Line2D([], [], marker="x", ls="", color="0.4", label="rejected"))
    for k in range(min(max_trips, len(TRIP_STYLES))):
        extra.append(Line2D([], [], color="0.3", ls=TRIP_STYLES[k], label=f"trip {k + 1}" + (
            f", {k + 1 + len(TRIP_STYLES)}, ..." if max_trips > k + len(TRIP_STYLES) else "")))
    ax.set_title(f"{problem.name}: {solution.num_vehicles} AMRs, {solution.num_trips} trips")
    if legend and (handles or extra):
        if len(handles) > 12:  # keep the legend readable: the first AMRs and a count of the others
            more = Line2D([], [], ls="", label=f"... and {len(handles) - 11} more AMRs")
            handles = [*handles[:11], more]
        shown = handles + extra
        ax.legend(handles=shown, loc="best", fontsize=7, framealpha=0.8, ncol=2 if len(shown) > 12 else 1)
    return ax
