"""hospital_or: operations research for hospital logistics.

AMR routing (static, stochastic, multi-trip, dynamic with priorities), automated drug dispensing (ADDS) retrieval
sequencing, and a SimPy simulator with experiment grids on Dask. Algorithm engines live in :mod:`solvers`.
"""

from importlib.metadata import PackageNotFoundError, version

from hospital_or.exceptions import (
    HospitalORError,
    InstanceFormatError,
    InvalidProblemError,
    NoFeasibleSolutionError,
    ScalingWarning,
)
from hospital_or.problem import Depot, Elevator, Fleet, Problem, Request, Station, StochasticModel
from hospital_or.solution import AMRPlan, Solution, Trip

try:
    __version__ = version("hospital-or")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = [
    "AMRPlan",
    "Depot",
    "Elevator",
    "Fleet",
    "HospitalORError",
    "InstanceFormatError",
    "InvalidProblemError",
    "NoFeasibleSolutionError",
    "Problem",
    "Request",
    "ScalingWarning",
    "Solution",
    "Station",
    "StochasticModel",
    "Trip",
    "__version__",
]
