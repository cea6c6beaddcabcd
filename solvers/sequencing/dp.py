"""Exact dynamic programming over order blocks (Held-Karp) minimising robot travel.

``dp_sequence`` is the spec's DP baseline: an exact subset DP for each order *separately* (myopic: it ignores the
next order and the pharmacist's sorting time) starting from the committed history. ``shortest_path_window`` is the
one-I/O special case of the window model: with one I/O point the sorting time only adds a constant, so the window
problem is a shortest Hamiltonian path through the order blocks, solved exactly by the same DP across blocks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from solvers.sequencing.arrays import CycleTimes, SequencingArrays, append_cost


def exact_travel_blocks(
    cyc: CycleTimes, n_io: int, blocks: Sequence[Sequence[int]], history: Sequence[int]
) -> tuple[list[int], float]:
    """Order-blocked sequence of ``blocks`` after ``history`` with minimum total robot cycle time.

    Parameters
    ----------
    cyc
        Cycle times.
    n_io
        Number of I/O points (1 or 2).
    blocks
        Line indices of consecutive orders; every line of block ``b`` precedes every line of block ``b + 1``.
    history
        Lines already committed (only the last two matter).

    Returns
    -------
    (sequence, cost)
        The lines of all blocks in optimal order and the sum of their :func:`append_cost`.
        Ties are broken deterministically (first found in line order).
    """
    prev = history[-1] if len(history) >= 1 else -1
    prev2 = history[-2] if len(history) >= 2 else -1
    two = n_io == 2
    p = len(history) + 1  # position of the next line
    # frontier: (last, second last) -> (cost, sequence)
    frontier: dict[tuple[int, int], tuple[float, tuple[int, ...]]] = {(prev, prev2 if two else -1): (0.0, ())}
    for block in blocks:
        block = [int(j) for j in block]
        nb = len(block)
        if nb == 0:
            continue
        layer: dict[tuple[int, int, int], tuple[float, tuple[int, ...]]] = {}
        for (last, last2), (c, seq) in frontier.items():
            for a, j in enumerate(block):
                cost = c + append_cost(cyc, n_io, p, last, last2, j)
                key = (1 << a, j, last if two else -1)
                if key not in layer or cost < layer[key][0]:
                    layer[key] = (cost, (*seq, j))
        for size in range(1, nb):
            q = p + size
            nxt: dict[tuple[int, int, int], tuple[float, tuple[int, ...]]] = {}
            for (mask, last, last2), (c, seq) in layer.items():
                for a, j in enumerate(block):
                    if mask >> a & 1:
                        continue
                    cost = c + append_cost(cyc, n_io, q, last, last2, j)
                    key = (mask | 1 << a, j, last if two else -1)
                    if key not in nxt or cost < nxt[key][0]:
                        nxt[key] = (cost, (*seq, j))
            layer = nxt
        frontier = {}
        for (_mask, last, last2), value in layer.items():
            if (last, last2) not in frontier or value[0] < frontier[(last, last2)][0]:
                frontier[(last, last2)] = value
        p += nb
    cost, seq = min(frontier.values(), key=lambda v: v[0])
    return list(seq), float(cost)


def dp_sequence(arr: SequencingArrays, cyc: CycleTimes) -> np.ndarray:
    """Myopic exact DP: each order in turn gets its travel-optimal line order given the committed history."""
    seq: list[int] = []
    for o in range(arr.n_orders):
        part, _ = exact_travel_blocks(cyc, arr.n_io, [arr.order_lines(o)], seq)
        seq.extend(part)
    return np.asarray(seq, dtype=np.int64)


def shortest_path_window(
    arr: SequencingArrays, cyc: CycleTimes, o: int, history: Sequence[int], window_orders: int = 2
) -> tuple[list[int], float]:
    """One-I/O window model as a shortest path: optimal travel over orders ``o .. o + window_orders - 1``.

    Returns the window sequence (all its orders) and its total cycle time; with one I/O point this minimises the
    window makespan for every sorting-time scenario at once.
    """
    if arr.n_io != 1:
        raise ValueError("the shortest-path special case needs one I/O point")
    last = min(arr.n_orders, o + window_orders)
    return exact_travel_blocks(cyc, 1, [arr.order_lines(q) for q in range(o, last)], history)


def rolling_shortest_path(arr: SequencingArrays, cyc: CycleTimes, window_orders: int = 2) -> np.ndarray:
    """Rolling-window one-I/O special case: solve each window exactly, commit its first order."""
    seq: list[int] = []
    for o in range(arr.n_orders):
        part, _ = shortest_path_window(arr, cyc, o, seq, window_orders)
        seq.extend(part[: len(arr.order_lines(o))])
    return np.asarray(seq, dtype=np.int64)
