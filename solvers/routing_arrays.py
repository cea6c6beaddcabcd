"""The array form of an AMR routing problem that every routing engine in :mod:`solvers` consumes.

Node numbering
--------------
``0`` is the depot, ``1 .. n_requests`` are the requests (in the order of ``Problem.requests``) and
``n_requests + 1 .. n_requests + n_stations`` are the charging stations (in the order of ``Problem.stations``).

Units
-----
All values are float64 in the instance's own units, **unscaled** (no integer rounding): distance units for
``distance``, time units for times, energy units for the battery, load units for demand. Float64 keeps the
Solomon/E-VRPTW distances exact to ~1e-12, so solver and checker costs agree to far better than 0.01.
``ScalingWarning`` is raised by the converter if a value exceeds 1e12 (where float64 loses 1e-4 resolution).

Travel and service times
------------------------
``travel_mean[i, j]`` is the expected travel time (distance / speed, plus the elevator ride and the mean elevator
wait when floors differ). ``travel_var[i, j]`` is its variance: ``(cv_travel * distance/speed)**2`` plus the
variance of the elevator wait (Uniform[0, w]) when floors differ. ``service_var`` likewise uses ``cv_service``.
In deterministic problems all variances are zero.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class RoutingArrays(NamedTuple):
    """Plain arrays of one routing problem (see the module docstring for units and numbering)."""

    n_requests: int
    n_stations: int
    x: np.ndarray  # (N,) float64 coordinates, for plots and neighbour lists
    y: np.ndarray  # (N,) float64
    distance: np.ndarray  # (N, N) float64
    travel_mean: np.ndarray  # (N, N) float64
    travel_var: np.ndarray  # (N, N) float64
    energy: np.ndarray  # (N, N) float64: energy used on the arc (energy_per_distance * distance)
    demand: np.ndarray  # (N,) float64, 0 for the depot and stations
    ready: np.ndarray  # (N,) float64 earliest start of service; depot: start of the day
    due: np.ndarray  # (N,) float64 latest start of service; depot: end of the day (horizon)
    service_mean: np.ndarray  # (N,) float64
    service_var: np.ndarray  # (N,) float64
    priority: np.ndarray  # (N,) int64 in 1..3 (0 for depot and stations)
    reveal: np.ndarray  # (N,) float64 reveal time (0 = known at the start)
    is_station: np.ndarray  # (N,) bool; the depot counts as a station when depot_charging is True
    capacity: float
    battery_capacity: float  # math.inf when batteries are not modelled
    min_soc: float  # minimum state of charge in energy units (min_soc_fraction * battery_capacity)
    recharge_rate: float  # time per energy unit recharged (g)
    depot_charging: bool  # the AMR recharges fully at the depot between trips
    depot_turnaround: float  # time at the depot between two trips of one AMR
    max_trips: int
    max_vehicles: int
    fixed_cost: float
    cost_per_distance: float
    lateness_weight: np.ndarray  # (4,) float64 indexed by priority (index 0 unused); 0 => hard windows
    rejection_cost: np.ndarray  # (4,) float64 indexed by priority; inf => rejection not allowed
    hard_time_windows: bool
    beta: float  # required on-time probability (0.5 and zero variance => deterministic)
    z_beta: float  # Phi^{-1}(beta); 0 in deterministic problems
    stochastic: bool
