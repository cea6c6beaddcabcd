"""MIP models for AMR routing on plain arrays, with PuLP (CBC, HiGHS) and OR-Tools (SCIP) back-ends.

* :mod:`solvers.mip.arcs`: arc preprocessing, station-chain arcs with dominance, reload arcs (multi-trip);
* :mod:`solvers.mip.model`: the arc-based model (deterministic) and the set-partitioning model over AMR plans
  (exact for the chance constraint and its SAA form);
* :mod:`solvers.mip.linear`: the solver-independent linear model;
* :mod:`solvers.mip.backends`: PuLP/OR-Tools back-ends with honest status, bound and gap.
"""

from solvers.mip.arcs import Arc, build_arcs
from solvers.mip.backends import BACKENDS, BackendResult, solve
from solvers.mip.linear import LinearModel
from solvers.mip.model import (
    ArcModel,
    Column,
    build_arc_model,
    build_set_partitioning_model,
    extract_plan,
    warm_start_values,
)

__all__ = [
    "BACKENDS",
    "Arc",
    "ArcModel",
    "BackendResult",
    "Column",
    "LinearModel",
    "build_arc_model",
    "build_arcs",
    "build_set_partitioning_model",
    "extract_plan",
    "solve",
    "warm_start_values",
]
