"""Exact timing evaluator (spec section 4) used to score every sequencing method.

This is written independently of the recursion inside :mod:`solvers.sequencing` (which the rolling IP uses for its
history); the tests check that the two, the window IP and the SimPy model agree.

A sequence lists global line indices, order-blocked. Position ``k`` (1-based) is presented at I/O point ``A`` with one
I/O point, and alternately at ``A`` (odd ``k``) and ``B`` (even ``k``) with two. With sorting time ``S_k``:

One I/O point::

    R_1 = 2 t(IO, p_1) + 2h,      R_k = F_{k-1} + DC(k-1, k),      F_k = R_k + S_k

Two I/O points::

    R_1 = 2 t(A, p_1) + 2h,       R_2 = R_1 + t(A, p_2) + t(p_2, B) + 2h
    R_k = max(R_{k-1} + t(X_{k-1}, X_k), F_{k-2}) + DC_{X_k}(k-2, k)          (k >= 3)
    F_k = max(R_k, F_{k-1} + walk) + S_k

where ``DC_X(i, j) = t(X, p_i) + t(p_i, p_j) + t(p_j, X) + 4h``. Order ``o`` completes at ``C_o = F`` of its last
line; the average picking time is ``APT = C_N / N`` (saturated queue of orders).

Reconstructed rule: a drug has one bin, so with two I/O points the same drug cannot sit at consecutive positions
(it would have to be at both I/O points at once). Such sequences are rejected.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hospital_or.adds.model import Instance, Layout


@dataclass(frozen=True)
class Timing:
    """Times of one sequence under ``K`` sorting-time scenarios (seconds).

    Attributes
    ----------
    sequence
        The evaluated line indices.
    ready, finish
        ``(K, M)``: bin at position ``k`` ready at its I/O point / sorting finished.
    robot_cycle
        ``(M,)`` travel + handling time of the cycle that delivers each position (scenario independent).
    io_of_position
        ``(M,)`` I/O point index of each position.
    order_completion
        ``(K, N)`` completion time ``C_o`` of each order.
    sorting
        ``(K, M)`` sorting time of the bin at each position.
    walk
        Pharmacist walk between two consecutive bins (two I/O points; 0 with one).
    """

    sequence: np.ndarray
    ready: np.ndarray
    finish: np.ndarray
    robot_cycle: np.ndarray
    io_of_position: np.ndarray
    order_completion: np.ndarray
    sorting: np.ndarray
    walk: float = 0.0

    @property
    def makespan(self) -> np.ndarray:
        """``(K,)`` completion of the last order."""
        return self.order_completion[:, -1]

    @property
    def apt(self) -> np.ndarray:
        """``(K,)`` average picking time ``C_N / N`` per scenario."""
        return self.makespan / self.order_completion.shape[1]

    @property
    def apt_mean(self) -> float:
        """Average picking time over the scenarios."""
        return float(self.apt.mean())

    @property
    def picking_times(self) -> np.ndarray:
        """``(K, N)`` picking time of each order ``P_o = C_o - C_{o-1}``."""
        c = self.order_completion
        return np.diff(c, axis=1, prepend=0.0)

    @property
    def robot_utilisation(self) -> float:
        """Robot busy time (travel + handling) over the makespan, averaged over scenarios."""
        return float(np.mean(self.robot_cycle.sum() / self.makespan))

    @property
    def pharmacist_idle_share(self) -> float:
        """Share of the makespan the pharmacist neither sorts nor walks, averaged over scenarios."""
        m = self.sorting.shape[1]
        busy = self.sorting.sum(axis=1) + self.walk * max(m - 1, 0)
        return float(np.mean(1.0 - busy / self.makespan))


def evaluate(
    instance: Instance, layout: Layout, sequence: Sequence[int], sorting: np.ndarray | Sequence[float]
) -> Timing:
    """Ready/finish times and average picking time of a sequence.

    Parameters
    ----------
    instance, layout
        The system.
    sequence
        Global line indices, order-blocked, every line once.
    sorting
        Sorting time of every line (global line index): shape ``(M,)`` for one scenario or ``(K, M)``.

    Returns
    -------
    Timing

    Raises
    ------
    ValueError
        If the sequence is not an order-blocked permutation of the lines, or (two I/O points) puts one drug at two
        consecutive positions.
    """
    seq = np.asarray(sequence, dtype=np.int64)
    lines = instance.lines
    m = len(lines)
    if len(seq) != m or sorted(seq.tolist()) != list(range(m)):
        raise ValueError("the sequence must list every line exactly once")
    orders = [lines[j][0] for j in seq]
    if any(b < a for a, b in itertools.pairwise(orders)):
        raise ValueError("the sequence must keep the orders first come, first served")
    drugs = [lines[j][1] for j in seq]
    if layout.n_io == 2:
        for k in range(1, m):
            if drugs[k] == drugs[k - 1]:
                raise ValueError(
                    f"drug {drugs[k]} at consecutive positions {k} and {k + 1}: one bin cannot be at both I/O points"
                )
    sorting = np.asarray(sorting, dtype=float)
    sorting = sorting[None, :] if sorting.ndim == 1 else sorting
    s_pos = sorting[:, seq]  # (K, M) sorting time by position
    rack = instance.rack
    io = layout.io_points(rack)
    slot_x, slot_y = rack.slot_xy(np.array([instance.storage[d] for d in drugs], dtype=np.int64))
    h = rack.handling

    def t(a: tuple[float, float], b: tuple[float, float]) -> float:
        return float(max(abs(a[0] - b[0]) / rack.v_x, abs(a[1] - b[1]) / rack.v_y))

    home = [(float(slot_x[k]), float(slot_y[k])) for k in range(m)]
    station = [0 if layout.n_io == 1 else k % 2 for k in range(m)]  # 0-based position k -> I/O index
    cycle = np.zeros(m)
    k_scen = s_pos.shape[0]
    ready = np.zeros((k_scen, m))
    finish = np.zeros((k_scen, m))
    for k in range(m):
        here = io[station[k]]
        if k == 0:
            cycle[k] = t(here, home[k]) + h + t(home[k], here) + h
            ready[:, k] = cycle[k]
        elif layout.n_io == 1:
            back = home[k - 1]  # store the previous bin, then fetch this one
            cycle[k] = h + t(here, back) + h + t(back, home[k]) + h + t(home[k], here) + h
            ready[:, k] = finish[:, k - 1] + cycle[k]
        elif k == 1:
            cycle[k] = t(io[0], home[k]) + h + t(home[k], here) + h
            ready[:, k] = ready[:, 0] + cycle[k]
        else:
            back = home[k - 2]
            cycle[k] = h + t(here, back) + h + t(back, home[k]) + h + t(home[k], here) + h
            start = np.maximum(ready[:, k - 1] + t(io[station[k - 1]], here), finish[:, k - 2])
            ready[:, k] = start + cycle[k]
        if layout.n_io == 2 and k >= 1:
            finish[:, k] = np.maximum(ready[:, k], finish[:, k - 1] + layout.walk) + s_pos[:, k]
        else:
            finish[:, k] = ready[:, k] + s_pos[:, k]
    last_pos = {}
    for k, o in enumerate(orders):
        last_pos[o] = k
    completion = finish[:, [last_pos[o] for o in range(instance.n_orders)]]
    walk = layout.walk if layout.n_io == 2 else 0.0
    return Timing(seq, ready, finish, cycle, np.asarray(station), completion, s_pos, walk)
