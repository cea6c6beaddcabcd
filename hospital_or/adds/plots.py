"""Plots: rack heat map of drug popularity, average picking time by method and layout, robot/pharmacist Gantt chart.

Every function takes ``ax=None`` (a new figure is made when omitted), returns the axes and never calls
``plt.show()``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd

from hospital_or.adds.model import Instance, Layout
from hospital_or.adds.simulation import SimulationResult


def _axes(ax, figsize=(8, 4)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_rack_heatmap(instance: Instance, ax=None, layout: Layout | None = None, by: str = "popularity"):
    """Heat map of the rack face: demand of the drug stored in each slot (empty slots blank).

    Parameters
    ----------
    instance
        The instance.
    ax
        Matplotlib axes (optional).
    layout
        Draws its I/O points when given.
    by
        ``"popularity"`` (the generator's demand share) or ``"orders"`` (lines in the instance's orders).
    """
    ax = _axes(ax, (9, 3.5))
    rack = instance.rack
    grid = np.full((rack.levels, rack.columns), np.nan)
    if by == "popularity" and instance.popularity:
        value = np.asarray(instance.popularity)
        label = "demand share"
    elif by in ("popularity", "orders"):
        counts = Counter(d for o in instance.orders for d in o)
        value = np.array([counts.get(d, 0) for d in range(instance.n_drugs)], dtype=float)
        label = "lines in orders"
    else:
        raise ValueError("by must be 'popularity' or 'orders'")
    for d, slot in enumerate(instance.storage):
        grid[slot // rack.columns, slot % rack.columns] = value[d]
    width, height = rack.columns * rack.slot_width, rack.levels * rack.slot_height
    im = ax.imshow(grid, origin="lower", extent=(0, width, 0, height), cmap="viridis", aspect="auto")
    ax.figure.colorbar(im, ax=ax, label=label)
    if layout is not None:
        for k, (x, y) in enumerate(layout.io_points(rack)):
            ax.plot(x, y, marker="s", color="red", markersize=9, clip_on=False)
            ax.annotate("AB"[k] if layout.n_io == 2 else "I/O", (x, y), xytext=(4, 6), textcoords="offset points",
                        color="red")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(f"{instance.name}: rack {rack.levels} x {rack.columns}")
    return ax


def plot_apt(summary: pd.DataFrame | Iterable[dict], ax=None, sorting_mean: float | None = None):
    """Average picking time (bars) with 95 % CI (error bars) by method and layout.

    Parameters
    ----------
    summary
        Summary rows of :func:`hospital_or.adds.experiment.run_compare` (needs ``layout``, ``method``,
        ``sorting_mean_s``, ``apt_mean_s``, ``apt_ci95_s``).
    ax
        Matplotlib axes (optional).
    sorting_mean
        Level to show; default: every level, grouped as ``method @ level``.
    """
    df = summary if isinstance(summary, pd.DataFrame) else pd.DataFrame(list(summary))
    if sorting_mean is not None:
        df = df[df.sorting_mean_s == sorting_mean]
    if df.empty:
        raise ValueError("nothing to plot")
    ax = _axes(ax, (10, 4))
    levels = sorted(df.sorting_mean_s.unique())
    methods = list(dict.fromkeys(df.method))
    layouts = sorted(df.layout.unique())
    groups = [(lv, m) for lv in levels for m in methods]
    width = 0.8 / len(layouts)
    x = np.arange(len(groups))
    for a, lay in enumerate(layouts):
        sub = df[df.layout == lay].set_index(["sorting_mean_s", "method"])
        heights = [sub.apt_mean_s.get(g, np.nan) for g in groups]
        errs = [sub.apt_ci95_s.get(g, np.nan) for g in groups]
        errs = [0.0 if e is None or np.isnan(e) else e for e in errs]
        ax.bar(x + (a - (len(layouts) - 1) / 2) * width, heights, width, yerr=errs, capsize=2, label=lay)
    names = [m if len(levels) == 1 else f"{m}\nS={lv:g}s" for lv, m in groups]
    ax.set_xticks(x, names, fontsize=8)
    ax.set_ylabel("average picking time (s)")
    ax.legend(title="layout")
    title = "Average picking time by method and layout"
    ax.set_title(title if len(levels) != 1 else f"{title} (mean sorting time {levels[0]:g} s)")
    return ax


_COLORS = {
    "travel": "tab:blue",
    "pick": "tab:orange",
    "deposit": "tab:green",
    "wait": "lightgrey",
    "sort": "tab:purple",
    "walk": "tab:brown",
    "idle": "lightgrey",
}


def plot_gantt(result: SimulationResult, ax=None, t_max: float | None = None):
    """Gantt chart of the robot and the pharmacist from a :func:`hospital_or.adds.simulate` run.

    Parameters
    ----------
    result
        Simulation result (its activity log).
    ax
        Matplotlib axes (optional).
    t_max
        Show only ``[0, t_max]`` seconds (default: everything).
    """
    ax = _axes(ax, (11, 2.8))
    rows = {"robot": 1, "pharmacist": 0}
    seen = set()
    for a in result.activities:
        if t_max is not None and a.start >= t_max:
            continue
        label = a.kind if a.kind not in seen else None
        seen.add(a.kind)
        ax.broken_barh([(a.start, a.end - a.start)], (rows[a.resource] - 0.35, 0.7), color=_COLORS[a.kind],
                       label=label, edgecolor="white", linewidth=0.3)
    ax.set_yticks([0, 1], ["pharmacist", "robot"])
    ax.set_xlabel("time (s)")
    if t_max is not None:
        ax.set_xlim(0, t_max)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.set_title(f"Robot and pharmacist (APT {result.apt:.1f} s)")
    return ax
