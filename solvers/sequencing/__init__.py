"""ADDS retrieval sequencing on plain arrays: window 0-1 IP (PuLP), exact DP, greedy, random, FCFS.

Never imports :mod:`hospital_or`; :mod:`hospital_or.adds` converts instances into :class:`SequencingArrays`.
"""

from solvers.sequencing.arrays import (
    LAYOUT_1IO,
    LAYOUT_2IO,
    LAYOUTS,
    CycleTimes,
    SequencingArrays,
    append_cost,
    chebyshev,
    check_sequence,
    cycle_times,
    io_of_position,
    timing_recursion,
)
from solvers.sequencing.dp import dp_sequence, exact_travel_blocks, rolling_shortest_path, shortest_path_window
from solvers.sequencing.heuristics import fcfs_sequence, greedy_sequence, random_sequence
from solvers.sequencing.ip import RollingStats, WindowResult, rolling_ip, solve_window

__all__ = [
    "LAYOUTS",
    "LAYOUT_1IO",
    "LAYOUT_2IO",
    "CycleTimes",
    "RollingStats",
    "SequencingArrays",
    "WindowResult",
    "append_cost",
    "chebyshev",
    "check_sequence",
    "cycle_times",
    "dp_sequence",
    "exact_travel_blocks",
    "fcfs_sequence",
    "greedy_sequence",
    "io_of_position",
    "random_sequence",
    "rolling_ip",
    "rolling_shortest_path",
    "shortest_path_window",
    "solve_window",
    "timing_recursion",
]
