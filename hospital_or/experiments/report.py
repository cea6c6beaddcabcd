"""Summaries and comparison plots of a finished (or partly finished) experiment grid."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from hospital_or.experiments.runner import CELLS_DIR
from hospital_or.simulation.kpis import summarise

__all__ = ["REPORT_KPIS", "grid_report", "load_results", "plot_kpi_boxes", "summary_table"]

#: KPIs shown by default in the report and plotted as box plots.
REPORT_KPIS = (
    "service_rate",
    "on_time_rate",
    "on_time_rate_p1",
    "mean_lateness",
    "max_lateness",
    "distance",
    "utilisation",
    "charging_queue_time",
    "elevator_queue_time",
    "charging_detours",
)


def load_results(out: str | Path) -> pd.DataFrame:
    """All stored replications of a grid run (one row per cell and replication).

    Raises
    ------
    FileNotFoundError
        If ``out`` holds no finished cell.
    """
    files = sorted((Path(out) / CELLS_DIR).glob("*.parquet"))
    files = [f for f in files if not f.name.startswith(".")]
    if not files:
        raise FileNotFoundError(f"{out}: no finished cells (run 'hospital-or experiment run' first)")
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def _group_keys(results: pd.DataFrame) -> list[str]:
    return ["instance", "parameter_set", *sorted(c for c in results.columns if c.startswith("param_")), "strategy"]


def summary_table(results: pd.DataFrame, kpis: tuple[str, ...] = REPORT_KPIS, level: float = 0.95) -> pd.DataFrame:
    """Mean and ``level`` confidence interval of each KPI per instance, parameter set and strategy.

    Returns
    -------
    pandas.DataFrame
        Long format: the group keys, ``kpi, n, mean, half_width, ci_low, ci_high``.
    """
    keys = _group_keys(results)
    rows = []
    for group, frame in results.groupby(keys, sort=True, dropna=False):
        table = summarise(frame, level, [k for k in kpis if k in frame.columns])
        for kpi, row in table.iterrows():
            rows.append({**dict(zip(keys, group, strict=True)), "kpi": kpi, **row.to_dict()})
    return pd.DataFrame(rows)


def plot_kpi_boxes(results: pd.DataFrame, kpi: str, ax: Any = None, by: str = "strategy") -> Any:
    """Box plot of one KPI's replication values per strategy (all instances and parameter sets pooled).

    Parameters
    ----------
    results
        Output of :func:`load_results` (or any frame with the ``by`` and ``kpi`` columns).
    kpi
        Column to plot.
    ax
        Matplotlib axes (a new figure when ``None``).
    by
        Column that defines the boxes.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    labels = sorted(results[by].astype(str).unique())
    data = [results.loc[results[by].astype(str) == label, kpi].dropna().to_numpy() for label in labels]
    ax.boxplot(data, tick_labels=labels, showmeans=True)
    ax.set_title(kpi.replace("_", " "))
    ax.set_xlabel(by)
    ax.set_ylabel(kpi)
    ax.grid(axis="y", alpha=0.3)
    return ax


def grid_report(out: str | Path, kpis: tuple[str, ...] = REPORT_KPIS, plots: bool = True) -> dict[str, Any]:
    """Summarise a grid run: write ``report/summary.csv`` and ``report/<kpi>.png`` box plots into ``out``.

    Returns
    -------
    dict
        ``cells`` (finished), ``replications`` (rows), ``summary`` (the :func:`summary_table` records, NaN as
        ``None``) and ``plots`` (written files).
    """
    from matplotlib.figure import Figure

    out = Path(out)
    results = load_results(out)
    table = summary_table(results, kpis)
    folder = out / "report"
    folder.mkdir(exist_ok=True)
    table.to_csv(folder / "summary.csv", index=False)
    written = []
    if plots:
        for kpi in kpis:
            if kpi not in results.columns or results[kpi].isna().all():
                continue
            fig = Figure(figsize=(6, 4))  # no pyplot: no GUI backend, nothing left open
            plot_kpi_boxes(results, kpi, ax=fig.subplots())
            fig.tight_layout()
            path = folder / f"{kpi}.png"
            fig.savefig(path, dpi=90)
            written.append(str(path))
    records = [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        for r in table.to_dict(orient="records")
    ]
    return {
        "cells": int(results["cell_id"].nunique()),
        "replications": len(results),
        "summary": records,
        "plots": written,
    }
