"""Baseline retrieval sequences: first come first served, random, greedy nearest neighbour.

Orders are always served first come, first served; the methods only order the lines inside each order.
"""

from __future__ import annotations

import numpy as np

from solvers.sequencing.arrays import CycleTimes, SequencingArrays, append_cost


def fcfs_sequence(arr: SequencingArrays) -> np.ndarray:
    """Lines in the order they are listed in each prescription (the identity sequence)."""
    return np.arange(arr.n_lines, dtype=np.int64)


def random_sequence(arr: SequencingArrays, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random permutation of the lines inside each order (orders stay FCFS)."""
    parts = [rng.permutation(arr.order_lines(o)) for o in range(arr.n_orders)]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def greedy_sequence(arr: SequencingArrays, cyc: CycleTimes) -> np.ndarray:
    """Nearest-neighbour sequencing (Han et al. 1987; Mahajan, Rao & Peters 1998).

    At each step the robot's next cycle stores the bin it takes back (1-I/O: the previous position; 2-I/O: the one
    two positions back; none: it starts at the I/O point) and retrieves the remaining line of the current order whose
    cycle is shortest (ties: lowest line index). It looks across order boundaries only through that stored bin.
    """
    seq: list[int] = []
    for o in range(arr.n_orders):
        remaining = list(arr.order_lines(o))
        while remaining:
            p = len(seq) + 1
            prev = seq[-1] if seq else -1
            prev2 = seq[-2] if len(seq) >= 2 else -1
            costs = [append_cost(cyc, arr.n_io, p, prev, prev2, j) for j in remaining]
            best = remaining[int(np.argmin(costs))]
            seq.append(best)
            remaining.remove(best)
    return np.asarray(seq, dtype=np.int64)
