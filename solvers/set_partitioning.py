"""A pool of feasible trips and their recombination by set partitioning (a matheuristic intensification).

Local search keeps finding good trips in solutions that are, as a whole, worse than the best one. The pool records
every trip of every feasible solution the search meets (one column per set of requests: the cheapest trip seen for
that set), and :meth:`TripPool.recombine` solves the set-partitioning problem over the pool with HiGHS::

    min  sum_r c_r x_r
    s.t. sum_{r covers i} x_r = 1     for every request i
         sum_r x_r <= max_vehicles
         x_r in {0, 1}

with ``c_r = fixed_cost + cost_per_distance * distance_r + lateness_r``. Every column is a trip that was feasible on
its own, so for single-trip problems (one trip per AMR) the optimum is a feasible plan no worse than the incumbent
(which is always in the pool and is passed to HiGHS as its starting solution). This is the recombination step of
Subramanian, Uchoa & Ochi's ILS-SP (2013) and of the route-pool heuristics of Rochat & Taillard (1995).

The pool keeps at most ``max_columns`` columns: when full, the columns of the worst cost per request served are
dropped first (the incumbent's trips are never dropped).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import highspy
import numpy as np

try:  # the bare solver: highspy.Highs() enables its callbacks at construction, which prints a banner to stdout
    from highspy._core import _Highs as _Solver  # (and would corrupt ``--format json`` output)
except ImportError:  # pragma: no cover - other highspy layouts
    _Solver = highspy.Highs


@dataclass
class RecombineResult:
    """Outcome of one set-partitioning solve."""

    trips: list[list[int]] | None  # the chosen trips (node indices, no depots), None if nothing better was found
    cost: float  # objective of the chosen trips (inf when none)
    columns: int  # columns in the model
    status: str  # HiGHS model status
    runtime: float  # seconds spent in HiGHS


class TripPool:
    """Feasible trips of a single-trip routing problem, keyed by the set of requests they serve.

    Parameters
    ----------
    n_requests
        Requests are the nodes ``1 .. n_requests``; other nodes in a trip (charging stations) are not covered.
    max_columns
        Largest pool kept (the cheapest columns per request served stay).
    """

    def __init__(self, n_requests: int, max_columns: int = 20000):
        if max_columns < 1:
            raise ValueError("max_columns must be >= 1.")
        self.n_requests = n_requests
        self.max_columns = max_columns
        self._trips: dict[frozenset[int], tuple[float, tuple[int, ...]]] = {}
        self.offered = 0  # trips offered to the pool (duplicates included)
        self.changes = 0  # offers that entered the pool (a new set of requests, or a cheaper trip for one)

    def __len__(self) -> int:
        return len(self._trips)

    def _key(self, trip) -> frozenset[int]:
        """The requests a trip serves (its charging-station visits left out): the pool's column key."""
        return frozenset(v for v in trip if 1 <= v <= self.n_requests)

    def add(self, trip: list[int] | tuple[int, ...], cost: float) -> bool:
        """Offer one feasible trip with its cost; returns True if it entered the pool (new or cheaper)."""
        self.offered += 1
        key = self._key(trip)
        if not key:
            return False
        old = self._trips.get(key)
        if old is not None and old[0] <= cost + 1e-9:
            return False
        self._trips[key] = (float(cost), tuple(int(v) for v in trip))
        self.changes += 1
        return True

    def trim(self, keep: list[list[int]] = ()) -> None:
        """Drop the columns of the worst cost per request until at most ``max_columns`` remain."""
        excess = len(self._trips) - self.max_columns
        if excess <= 0:
            return
        protected = {self._key(t) for t in keep}
        ranked = sorted((c / len(k), i, k) for i, (k, (c, _)) in enumerate(self._trips.items()) if k not in protected)
        for _, _, k in ranked[len(ranked) - excess:]:
            del self._trips[k]

    def recombine(self, max_vehicles: int, incumbent: list[list[int]] | None = None, time_limit: float = 5.0,
                  max_nodes: int = 5000, fixed_cost: float | None = None) -> RecombineResult:
        """Solve the set-partitioning problem over the pool.

        Parameters
        ----------
        max_vehicles
            Most trips (AMRs) allowed: pass the incumbent's fleet to keep it (the fixed cost is then left out).
        incumbent
            The best known plan (its trips must be in the pool): HiGHS starts from it, and a result is returned only
            if it is cheaper.
        time_limit, max_nodes
            HiGHS limits (seconds; branch-and-bound nodes). Without the time limit binding, the solve is
            deterministic.
        fixed_cost
            The part of every column's cost that does not depend on the trip (the AMR's fixed cost); it is left out
            of the MIP objective, which then minimises the variable cost under the fleet bound. ``None``: the
            cheapest column's cost.

        Returns
        -------
        RecombineResult
        """
        keys = list(self._trips)
        n_cols = len(keys)
        if n_cols == 0:
            return RecombineResult(None, math.inf, 0, "empty", 0.0)
        costs = np.array([self._trips[k][0] for k in keys], dtype=np.float64)
        # the fleet is bounded by the row below; the fixed cost, equal for every column, is left out of the MIP
        # objective (it only weakens the LP bound: a fractional fleet below the incumbent's would have to be
        # closed by branching), so the MIP minimises distance and lateness for at most ``max_vehicles`` trips
        fixed = float(costs.min()) if fixed_cost is None else float(fixed_cost)
        var_costs = costs - fixed
        # CSC matrix: column r has a 1 in the row of each request it serves (rows 0..n-1) and in the fleet row n
        starts = np.zeros(n_cols + 1, dtype=np.int32)
        index: list[int] = []
        for r, k in enumerate(keys):
            index.extend(sorted(v - 1 for v in k))
            index.append(self.n_requests)
            starts[r + 1] = len(index)
        values = np.ones(len(index), dtype=np.float64)
        n_rows = self.n_requests + 1
        lp = highspy.HighsLp()
        lp.num_col_ = n_cols
        lp.num_row_ = n_rows
        lp.col_cost_ = var_costs
        lp.col_lower_ = np.zeros(n_cols)
        lp.col_upper_ = np.ones(n_cols)
        row_lo = np.ones(n_rows)
        row_hi = np.ones(n_rows)
        row_lo[-1] = 0.0
        row_hi[-1] = float(max_vehicles)
        lp.row_lower_ = row_lo
        lp.row_upper_ = row_hi
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = starts
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = values
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n_cols
        h = _Solver()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
        h.setOptionValue("mip_max_nodes", int(max_nodes))
        h.setOptionValue("mip_rel_gap", 1e-9)
        # presolve does not watch the time limit; on pools of long trips (E-VRPTW r201_21, 2,200 columns of 23
        # requests on average) it took 7.8 s where the solve without it is optimal in 0.14 s
        h.setOptionValue("presolve", "off")
        h.passModel(lp)
        inc_cost = math.inf
        if incumbent is not None:
            pos = {k: r for r, k in enumerate(keys)}
            start = np.zeros(n_cols)
            inc_cost = 0.0
            for t in incumbent:
                r = pos.get(self._key(t))
                if r is None:
                    inc_cost = math.inf
                    break
                start[r] = 1.0
                inc_cost += costs[r]
            if math.isfinite(inc_cost):
                sol = highspy.HighsSolution()
                sol.col_value = list(start)
                sol.value_valid = True
                h.setSolution(sol)
        h.run()
        status = h.modelStatusToString(h.getModelStatus())
        runtime = float(h.getRunTime())
        info = h.getInfo()
        if info.primal_solution_status != 2:  # no feasible solution
            return RecombineResult(None, math.inf, n_cols, status, runtime)
        x = np.asarray(h.getSolution().col_value)
        chosen = [r for r in range(n_cols) if x[r] > 0.5]
        cost = float(costs[chosen].sum())
        if cost >= inc_cost - 1e-7:
            return RecombineResult(None, cost, n_cols, status, runtime)
        return RecombineResult([list(self._trips[keys[r]][1]) for r in chosen], cost, n_cols, status, runtime)
