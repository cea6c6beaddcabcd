"""The routing engine shared by every routing method: Numba kernels over trip arrays.

* :mod:`solvers.engine.kernels` - cached segment data per trip, generic move evaluation and application,
  move generators (relocate, Or-opt, swap, 2-opt, 2-opt*, station in/out);
* :mod:`solvers.engine.search` - the VND local search and insertion kernels;
* :mod:`solvers.engine.state` - :class:`RoutingEngine`, the Python handle on one set of trips;
* :mod:`solvers.engine.assignment` - exact trip simulation and the assignment of trips to AMRs;
* :mod:`solvers.engine.operators` - construction, repair (charging/depot insertion), shaking, AMR decrease.
"""

from solvers.engine.assignment import TripSimulator, assign_trips, simulate_trip
from solvers.engine.neighbours import granular_neighbours
from solvers.engine.state import RoutingEngine

__all__ = ["RoutingEngine", "TripSimulator", "assign_trips", "granular_neighbours", "simulate_trip"]
