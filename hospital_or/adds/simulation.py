"""SimPy model of one ADDS machine: the robot and the pharmacist as processes, the I/O points as resources.

Each I/O point is a pair of one-slot stores: ``delivered`` (a bin waiting for the pharmacist) and ``sorted`` (a bin
the pharmacist has finished, waiting for the robot to take it back). The robot delivers position ``k`` to its I/O
point; before that (from the second bin at the same I/O point on) it must take back the sorted bin of position
``k - 1`` (one I/O point) or ``k - 2`` (two I/O points), store it in its home slot and fetch the next bin (a dual
command). The pharmacist takes the bins in sequence, walking between the two I/O points, and sorts each one.

With deterministic sorting times the simulation reproduces :func:`hospital_or.adds.evaluator.evaluate` (the tests
check this); with sampled times it plays one sorting-time path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import simpy

from hospital_or.adds.model import Instance, Layout


@dataclass(frozen=True)
class Activity:
    """One interval of the Gantt chart."""

    resource: str  # "robot" or "pharmacist"
    kind: str  # robot: "travel", "pick", "deposit", "wait"; pharmacist: "sort", "walk", "idle"
    start: float
    end: float
    line: int  # global line index concerned (-1 when none)
    io: int  # I/O point index


@dataclass(frozen=True)
class SimulationResult:
    """Outcome of one simulated run (positions in sequence order)."""

    sequence: np.ndarray
    ready: np.ndarray  # (M,) bin ready at its I/O point
    finish: np.ndarray  # (M,) sorting finished
    order_completion: np.ndarray  # (N,)
    activities: list[Activity]

    @property
    def apt(self) -> float:
        """Average picking time ``C_N / N``."""
        return float(self.order_completion[-1] / len(self.order_completion))


def simulate(
    instance: Instance, layout: Layout, sequence: Sequence[int], sorting: np.ndarray | Sequence[float]
) -> SimulationResult:
    """Play a retrieval sequence under one path of sorting times.

    Parameters
    ----------
    instance, layout
        The system.
    sequence
        Global line indices, order-blocked.
    sorting
        ``(M,)`` sorting time of every line (global line index).
    """
    seq = [int(j) for j in sequence]
    sorting = np.asarray(sorting, dtype=float)
    if sorting.ndim != 1 or len(sorting) != instance.n_lines:
        raise ValueError("simulate() plays one path: sorting must have one time per line")
    lines = instance.lines
    rack = instance.rack
    io = layout.io_points(rack)
    two = layout.n_io == 2
    m = len(seq)
    env = simpy.Environment()
    delivered = [simpy.Store(env, capacity=1) for _ in io]
    sorted_bins = [simpy.Store(env, capacity=1) for _ in io]
    ready = np.zeros(m)
    finish = np.zeros(m)
    log: list[Activity] = []

    def home(j: int) -> tuple[float, float]:
        x, y = rack.slot_xy(instance.storage[lines[j][1]])
        return float(x), float(y)

    def t(a: tuple[float, float], b: tuple[float, float]) -> float:
        return float(rack.travel(a[0], a[1], b[0], b[1]))

    def station(k: int) -> int:
        return k % 2 if two else 0

    def act(resource: str, kind: str, duration: float, line: int, x: int):
        start = env.now
        yield env.timeout(duration)
        log.append(Activity(resource, kind, start, env.now, line, x))

    def robot():
        pos = io[0]
        for k, j in enumerate(seq):
            x = station(k)
            lag = 2 if two else 1
            if k >= lag:
                if two and k >= 2:  # go to the I/O point of this position
                    yield from act("robot", "travel", t(pos, io[x]), -1, x)
                    pos = io[x]
                start_wait = env.now
                back = yield sorted_bins[x].get()  # the sorted bin of position k - lag
                if env.now > start_wait:
                    log.append(Activity("robot", "wait", start_wait, env.now, back, x))
                yield from act("robot", "pick", rack.handling, back, x)
                yield from act("robot", "travel", t(pos, home(back)), back, x)
                pos = home(back)
                yield from act("robot", "deposit", rack.handling, back, x)
            yield from act("robot", "travel", t(pos, home(j)), j, x)
            pos = home(j)
            yield from act("robot", "pick", rack.handling, j, x)
            yield from act("robot", "travel", t(pos, io[x]), j, x)
            pos = io[x]
            yield from act("robot", "deposit", rack.handling, j, x)
            ready[k] = env.now
            yield delivered[x].put(j)

    def pharmacist():
        for k in range(m):
            x = station(k)
            if two and k >= 1 and layout.walk > 0:
                yield from act("pharmacist", "walk", layout.walk, -1, x)
            start_wait = env.now
            j = yield delivered[x].get()
            if env.now > start_wait:
                log.append(Activity("pharmacist", "idle", start_wait, env.now, -1, x))
            yield from act("pharmacist", "sort", float(sorting[j]), j, x)
            finish[k] = env.now
            yield sorted_bins[x].put(j)

    env.process(robot())
    env.process(pharmacist())
    env.run()
    last = {}
    for k, j in enumerate(seq):
        last[lines[j][0]] = k
    completion = np.array([finish[last[o]] for o in range(instance.n_orders)])
    return SimulationResult(np.asarray(seq, dtype=np.int64), ready, finish, completion, log)
