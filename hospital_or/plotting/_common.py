"""Shared helpers of the plots: axes creation, colours, the building view of multi-floor problems, time axes."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MultipleLocator

from hospital_or.problem import Problem

#: Colours of the priorities 1 (STAT), 2 (time-critical), 3 (scheduled).
PRIORITY_COLOURS = {1: "#d62728", 2: "#ff7f0e", 3: "#1f77b4"}
PRIORITY_LABELS = {1: "priority 1 (STAT)", 2: "priority 2", 3: "priority 3"}
TRIP_STYLES = ("-", "--", ":", "-.")


def get_axes(ax: Axes | None, figsize: tuple[float, float] = (8.0, 6.0)) -> Axes:
    """``ax`` or a new figure's axes (never shown: the caller saves or displays the figure)."""
    if ax is not None:
        return ax
    _fig, new_ax = plt.subplots(figsize=figsize)
    return new_ax


def amr_colour(amr: int) -> tuple[float, float, float, float]:
    """A distinct colour per AMR (tab20 palette, cycling)."""
    cmap = plt.get_cmap("tab20" if amr >= 10 else "tab10")
    return cmap(amr % cmap.N)


class BuildingView:
    """Maps (x, y, floor) to plot coordinates: floors stacked as horizontal bands when the problem has floors.

    Arcs between floors go to the elevator shaft, ride, and leave the shaft, as the problem's distance model does.
    """

    def __init__(self, problem: Problem):
        nodes = [problem.depot, *problem.requests, *problem.stations]
        self.floors = sorted({int(p.floor) for p in nodes})
        self.elevator = problem.elevator
        self.stacked = self.elevator is not None and len(self.floors) > 1
        ys = [float(p.y) for p in nodes]
        if self.elevator is not None:
            ys.append(float(self.elevator.y))
        self.y_min, self.y_max = min(ys), max(ys)
        span = self.y_max - self.y_min
        self.band = span * 1.35 + max(span, 1.0) * 0.15 if span > 0 else 10.0

    def point(self, x: float, y: float, floor: int) -> tuple[float, float]:
        """Plot coordinates of a location."""
        if not self.stacked:
            return float(x), float(y)
        return float(x), float(y) + (int(floor) - self.floors[0]) * self.band

    def arc(self, a, b) -> tuple[list[float], list[float]]:
        """Polyline from node ``a`` to node ``b`` (objects with x, y, floor), via the shaft when floors differ."""
        pa = self.point(a.x, a.y, a.floor)
        pb = self.point(b.x, b.y, b.floor)
        if self.stacked and int(a.floor) != int(b.floor):
            e = self.elevator
            sa = self.point(e.x, e.y, a.floor)
            sb = self.point(e.x, e.y, b.floor)
            return [pa[0], sa[0], sb[0], pb[0]], [pa[1], sa[1], sb[1], pb[1]]
        return [pa[0], pb[0]], [pa[1], pb[1]]

    def decorate(self, ax: Axes, names: dict[int, str] | None = None) -> None:
        """Floor bands, floor labels and the elevator shaft (stacked view only)."""
        if not self.stacked:
            ax.set_xlabel("x")
            ax.set_ylabel("y")
            return
        e = self.elevator
        names = names or {}
        for f in range(self.floors[0], self.floors[-1] + 1):
            lo = self.point(0.0, self.y_min, f)[1] - 0.1 * self.band
            hi = self.point(0.0, self.y_max, f)[1] + 0.1 * self.band
            if (f - self.floors[0]) % 2 == 0:
                ax.axhspan(lo, hi, color="0.95", zorder=0)
            ax.annotate(
                names.get(f, floor_label(f)), xy=(0.0, (lo + hi) / 2.0), xycoords=("axes fraction", "data"),
                xytext=(3, 0), textcoords="offset points", va="center", fontsize=8, color="0.35",
            )
        bottom = self.point(e.x, e.y, self.floors[0])[1]
        top = self.point(e.x, e.y, self.floors[-1])[1]
        ax.plot([e.x, e.x], [bottom, top], color="0.55", lw=4, alpha=0.35, zorder=1, solid_capstyle="butt")
        ax.plot([e.x], [bottom], marker="s", color="0.55", alpha=0.0, label="elevator shaft")
        ax.set_xlabel("x (m)")
        ax.set_ylabel("y within floor, floors stacked")
        ax.set_yticks([])


def floor_label(floor: int) -> str:
    """Label of a floor number (our hospital convention: 0 = B1, k = Lk)."""
    return "B1" if floor == 0 else f"L{floor}"


def uses_clock(problem: Problem, hours: bool | None) -> bool:
    """Show times as hh:mm when asked, or automatically when the horizon is at least 6 h in seconds."""
    if hours is not None:
        return hours
    return problem.depot.horizon >= 6 * 3600


def format_time_axis(ax: Axes, clock: bool, span: float | None = None) -> None:
    """hh:mm ticks (seconds since midnight) at whole 10 min .. 3 h steps, or plain time units."""
    if clock:
        if span is not None and span > 0:
            steps = (600.0, 900.0, 1800.0, 3600.0, 7200.0, 10800.0)
            step = next((s for s in steps if span / s <= 10), steps[-1])
            ax.xaxis.set_major_locator(MultipleLocator(step))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _hhmm(v)))
        ax.set_xlabel("time of day")
    else:
        ax.set_xlabel("time")


def _hhmm(seconds: float) -> str:
    if not math.isfinite(seconds):
        return ""
    minutes = round(seconds / 60.0)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
