"""Plain-array form of an ADDS retrieval-sequencing problem and the robot cycle times.

Lines and orders
----------------
An instance has ``N`` prescription orders served first come, first served. Order ``o`` owns the *lines*
``order_start[o] : order_start[o + 1]`` (global line indices ``0 .. M-1``); each line asks for one drug bin whose home
slot is at ``(line_x[l], line_y[l])`` (metres). A *sequence* is a permutation of the line indices that is
order-blocked (all lines of order ``o`` before any line of ``o + 1``).

I/O points and layouts
----------------------
``io_x``/``io_y`` hold one (1-I/O) or two (2-I/O: ``A``, ``B``) I/O points. In the 2-I/O layout the bin at global
position ``p`` (1-based) is presented at ``A`` when ``p`` is odd and at ``B`` when ``p`` is even.

Robot
-----
Chebyshev travel ``t(a, b) = max(|xa - xb| / v_x, |ya - yb| / v_y)`` and a constant handling time ``handling`` per
pick-up or deposit. Dual command ``DC_X(i, j) = t(X, p_i) + t(p_i, p_j) + t(p_j, X) + 4 h`` stores the sorted bin of
line ``i`` taken from ``X`` and retrieves the bin of line ``j`` to ``X``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

LAYOUT_1IO = "1io"
LAYOUT_2IO = "2io"
LAYOUTS = (LAYOUT_1IO, LAYOUT_2IO)


class SequencingArrays(NamedTuple):
    """Plain arrays of one sequencing problem (see the module docstring)."""

    order_start: np.ndarray  # (N + 1,) int64 offsets of the order blocks
    line_x: np.ndarray  # (M,) float64 home slot x of each line's bin (m)
    line_y: np.ndarray  # (M,) float64 home slot y (m)
    drug: np.ndarray  # (M,) int64 drug (bin) id of each line
    io_x: np.ndarray  # (n_io,) float64
    io_y: np.ndarray  # (n_io,) float64
    v_x: float  # horizontal speed (m/s)
    v_y: float  # vertical speed (m/s)
    handling: float  # pick-up or deposit time (s)
    walk: float  # pharmacist walk between the two I/O points (s), 2-I/O only

    @property
    def n_orders(self) -> int:
        """Number of orders ``N``."""
        return len(self.order_start) - 1

    @property
    def n_lines(self) -> int:
        """Number of lines ``M``."""
        return len(self.line_x)

    @property
    def n_io(self) -> int:
        """Number of I/O points (1 or 2)."""
        return len(self.io_x)

    @property
    def layout(self) -> str:
        """``"1io"`` or ``"2io"``."""
        return LAYOUT_1IO if self.n_io == 1 else LAYOUT_2IO

    def order_lines(self, o: int) -> np.ndarray:
        """Global line indices of order ``o``."""
        return np.arange(self.order_start[o], self.order_start[o + 1])


class CycleTimes(NamedTuple):
    """Robot cycle times derived from :class:`SequencingArrays` (all in seconds).

    ``dc[x, i, j]`` is ``DC_X(i, j)`` at I/O point ``x``; ``first[j] = 2 t(A, p_j) + 2 h`` (single command to ``A``);
    ``second[j] = t(A, p_j) + t(p_j, B) + 2 h`` (2-I/O: from ``A`` via the slot of ``j`` to ``B``);
    ``move[x, y] = t(X_x, X_y)``.
    """

    dc: np.ndarray  # (n_io, M, M)
    first: np.ndarray  # (M,)
    second: np.ndarray  # (M,)
    move: np.ndarray  # (n_io, n_io)


def chebyshev(ax, ay, bx, by, v_x: float, v_y: float):
    """Chebyshev travel time ``max(|ax - bx| / v_x, |ay - by| / v_y)`` (broadcasts)."""
    return np.maximum(np.abs(np.subtract(ax, bx)) / v_x, np.abs(np.subtract(ay, by)) / v_y)


def cycle_times(arr: SequencingArrays) -> CycleTimes:
    """Precompute every robot cycle time of an instance."""
    h = float(arr.handling)
    lx, ly = arr.line_x, arr.line_y
    slot = chebyshev(lx[:, None], ly[:, None], lx[None, :], ly[None, :], arr.v_x, arr.v_y)
    to_io = chebyshev(arr.io_x[:, None], arr.io_y[:, None], arr.line_x[None, :], arr.line_y[None, :], arr.v_x, arr.v_y)
    dc = to_io[:, :, None] + slot[None, :, :] + to_io[:, None, :] + 4.0 * h
    first = 2.0 * to_io[0] + 2.0 * h
    second = to_io[0] + to_io[-1] + 2.0 * h
    move = chebyshev(arr.io_x[:, None], arr.io_y[:, None], arr.io_x[None, :], arr.io_y[None, :], arr.v_x, arr.v_y)
    return CycleTimes(dc, first, second, move)


def io_of_position(p: int, n_io: int) -> int:
    """I/O point index of 1-based global position ``p`` (always 0 with one I/O point; A odd, B even with two)."""
    return 0 if n_io == 1 else (p - 1) % 2


def timing_recursion(
    arr: SequencingArrays,
    cyc: CycleTimes,
    sequence,
    sorting: np.ndarray,
    out: tuple[np.ndarray, np.ndarray] | None = None,
    start: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Ready and finish times of every position under sorting-time scenarios (the spec's section-4 recursion).

    Parameters
    ----------
    arr, cyc
        Problem arrays and their cycle times.
    sequence
        Line indices in processing order (a prefix of a full sequence is allowed).
    sorting
        ``(K, M)`` sorting time of every line in each scenario.
    out, start
        Incremental use: arrays ``(ready, finish)`` of shape ``(K, >= len(sequence))`` whose first ``start``
        columns already hold the times of ``sequence[:start]``; only positions ``start..`` are computed.

    Returns
    -------
    (R, F)
        ``(K, len(sequence))`` arrays (or the ``out`` arrays): time the bin at each position is ready at its I/O
        point and time its sorting ends.
    """
    seq = np.asarray(sequence, dtype=np.int64)
    sorting = np.atleast_2d(np.asarray(sorting, dtype=float))
    k_scen, m = sorting.shape[0], len(seq)
    if out is None:
        ready, finish = np.zeros((k_scen, m)), np.zeros((k_scen, m))
    else:
        ready, finish = out
    two = arr.n_io == 2
    for k in range(start, m):
        j = seq[k]
        s = sorting[:, j]
        if k == 0:
            ready[:, 0] = cyc.first[j]
            finish[:, 0] = ready[:, 0] + s
            continue
        if not two:
            ready[:, k] = finish[:, k - 1] + cyc.dc[0, seq[k - 1], j]
            finish[:, k] = ready[:, k] + s
            continue
        x_prev, x = io_of_position(k, 2), io_of_position(k + 1, 2)
        if k == 1:
            ready[:, 1] = ready[:, 0] + cyc.second[j]
        else:
            ready[:, k] = np.maximum(ready[:, k - 1] + cyc.move[x_prev, x], finish[:, k - 2]) + cyc.dc[x, seq[k - 2], j]
        finish[:, k] = np.maximum(ready[:, k], finish[:, k - 1] + arr.walk) + s
    return ready, finish


def append_cost(cyc: CycleTimes, n_io: int, p: int, prev: int, prev2: int, j: int) -> float:
    """Robot travel + handling of the cycle that delivers line ``j`` at 1-based global position ``p``.

    ``prev``/``prev2`` are the lines at positions ``p - 1``/``p - 2`` (``-1`` when there is none). 1-I/O: the single
    command ``first[j]`` or ``DC(prev, j)``; 2-I/O: ``first[j]``, ``second[j]`` or ``DC_X(p)(prev2, j)`` (the constant
    move between the I/O points is left out).
    """
    if p == 1:
        return float(cyc.first[j])
    if n_io == 1:
        return float(cyc.dc[0, prev, j])
    if p == 2:
        return float(cyc.second[j])
    return float(cyc.dc[io_of_position(p, 2), prev2, j])


def check_sequence(arr: SequencingArrays, sequence) -> None:
    """Raise ``ValueError`` unless ``sequence`` is an order-blocked permutation of all lines."""
    seq = np.asarray(sequence, dtype=np.int64)
    if len(seq) != arr.n_lines or not np.array_equal(np.sort(seq), np.arange(arr.n_lines)):
        raise ValueError("a sequence must list every line exactly once")
    order_of = np.repeat(np.arange(arr.n_orders), np.diff(arr.order_start))
    if np.any(np.diff(order_of[seq]) < 0) or not np.array_equal(order_of[seq], order_of):
        raise ValueError("a sequence must be order-blocked (orders first come, first served)")
