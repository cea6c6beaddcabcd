"""Experiment grids (instances x strategies x parameters x replications) run on Dask, with a resumable store.

- :mod:`hospital_or.experiments.grid`: the grid TOML format, cells and their seeds;
- :mod:`hospital_or.experiments.runner`: :func:`run_grid` (LocalCluster or an existing scheduler) and the atomic
  per-cell result store;
- :mod:`hospital_or.experiments.report`: KPI means and confidence intervals per strategy, box plots.
"""

from hospital_or.experiments.grid import (
    PARAMETERS,
    PLAN_BUILDERS,
    CellSpec,
    GridError,
    GridSpec,
    InstanceSpec,
    StrategySpec,
    apply_parameters,
    build_plan,
    load_grid,
    parse_grid,
)
from hospital_or.experiments.report import REPORT_KPIS, grid_report, load_results, plot_kpi_boxes, summary_table
from hospital_or.experiments.runner import GridRunSummary, finished_cells, run_cell, run_grid

__all__ = [
    "PARAMETERS",
    "PLAN_BUILDERS",
    "REPORT_KPIS",
    "CellSpec",
    "GridError",
    "GridRunSummary",
    "GridSpec",
    "InstanceSpec",
    "StrategySpec",
    "apply_parameters",
    "build_plan",
    "finished_cells",
    "grid_report",
    "load_grid",
    "load_results",
    "parse_grid",
    "plot_kpi_boxes",
    "run_cell",
    "run_grid",
    "summary_table",
]
