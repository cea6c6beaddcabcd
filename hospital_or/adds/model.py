"""The ADDS domain: rack, I/O layouts, pharmacist sorting times and an instance of prescription orders.

Everything marked *reconstructed* in the spec (``../shared/specs/adds.md``) is a parameter here: rack size, slot
size, speeds, handling time, I/O placement, the pharmacist's walk between I/O points and the sorting-time law.

Geometry: slot ``s`` of a rack with ``levels x columns`` slots sits at column ``s % columns`` and level
``s // columns``; its centre is ``((c + 1/2) w, (l + 1/2) h)`` metres. The I/O point of the one-I/O layout is the
lower-left corner ``(0, 0)`` (Bozer-White convention); the two-I/O layout adds ``B = (w, 0)`` (``adjacent``) or
``B = (C w, 0)`` (``split``, the lower-right corner).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hospital_or.exceptions import InstanceFormatError, InvalidProblemError
from solvers.sequencing import SequencingArrays

SORTING_DISTRIBUTIONS = ("lognormal", "exponential", "truncnormal", "uniform", "deterministic")
IO_PLACEMENTS = ("adjacent", "split")


@dataclass(frozen=True)
class Rack:
    """One rack face served by a robot arm moving horizontally and vertically at the same time.

    Parameters
    ----------
    levels, columns
        Number of slot rows and columns.
    slot_width, slot_height
        Slot size in metres.
    v_x, v_y
        Horizontal and vertical robot speed (m/s).
    handling
        Time of one pick-up or deposit (s).
    """

    levels: int = 8
    columns: int = 25
    slot_width: float = 0.4
    slot_height: float = 0.3
    v_x: float = 1.0
    v_y: float = 0.5
    handling: float = 1.0

    def __post_init__(self) -> None:
        if self.levels < 1 or self.columns < 1:
            raise InvalidProblemError("rack needs at least one level and one column")
        if min(self.slot_width, self.slot_height, self.v_x, self.v_y) <= 0 or self.handling < 0:
            raise InvalidProblemError("slot sizes and speeds must be positive, handling time non-negative")

    @property
    def n_slots(self) -> int:
        """Number of bin slots."""
        return self.levels * self.columns

    def slot_xy(self, slot) -> tuple[np.ndarray, np.ndarray]:
        """Centre coordinates (m) of slot index/indices ``slot``."""
        slot = np.asarray(slot)
        return (slot % self.columns + 0.5) * self.slot_width, (slot // self.columns + 0.5) * self.slot_height

    def travel(self, ax, ay, bx, by):
        """Chebyshev travel time between points (broadcasts)."""
        return np.maximum(np.abs(np.subtract(ax, bx)) / self.v_x, np.abs(np.subtract(ay, by)) / self.v_y)


@dataclass(frozen=True)
class Layout:
    """Number and placement of the I/O points.

    Parameters
    ----------
    n_io
        1 or 2 I/O points.
    placement
        ``"adjacent"`` (``B = (w, 0)``) or ``"split"`` (``B = (C w, 0)``); ignored with one I/O point.
    walk
        Pharmacist's walk between the two I/O points (s), added between two bins.
    """

    n_io: int = 1
    placement: str = "adjacent"
    walk: float = 0.0

    def __post_init__(self) -> None:
        if self.n_io not in (1, 2):
            raise InvalidProblemError(f"a layout has 1 or 2 I/O points, not {self.n_io}")
        if self.placement not in IO_PLACEMENTS:
            raise InvalidProblemError(f"unknown I/O placement {self.placement!r}; choose from {IO_PLACEMENTS}")
        if self.walk < 0:
            raise InvalidProblemError("walk time must be non-negative")

    @classmethod
    def parse(cls, name: str, placement: str = "adjacent", walk: float = 0.0) -> Layout:
        """``"1io"`` or ``"2io"`` to a layout."""
        names = {"1io": 1, "2io": 2}
        if name not in names:
            raise ValueError(f"unknown layout {name!r}; choose 1io or 2io")
        return cls(names[name], placement, walk)

    @property
    def name(self) -> str:
        """``"1io"`` or ``"2io"``."""
        return f"{self.n_io}io"

    def io_points(self, rack: Rack) -> list[tuple[float, float]]:
        """Coordinates of the I/O points (``A`` first)."""
        if self.n_io == 1:
            return [(0.0, 0.0)]
        bx = rack.slot_width if self.placement == "adjacent" else rack.columns * rack.slot_width
        return [(0.0, 0.0), (float(bx), 0.0)]


@dataclass(frozen=True)
class SortingTime:
    """The pharmacist's stochastic sorting time per bin.

    Parameters
    ----------
    distribution
        ``lognormal``, ``exponential`` (CV is 1 whatever ``cv`` says), ``truncnormal`` (a normal with this mean
        and CV truncated at 0 by resampling, so the realised mean is slightly larger when the CV is large),
        ``uniform`` (symmetric around the mean; needs ``cv <= 1/sqrt(3)``) or ``deterministic``.
    mean, cv
        Mean (s) and coefficient of variation.
    """

    distribution: str = "lognormal"
    mean: float = 12.0
    cv: float = 0.3

    def __post_init__(self) -> None:
        if self.distribution not in SORTING_DISTRIBUTIONS:
            raise InvalidProblemError(
                f"unknown sorting-time distribution {self.distribution!r}; choose from {SORTING_DISTRIBUTIONS}"
            )
        if self.mean < 0 or self.cv < 0:
            raise InvalidProblemError("sorting-time mean and CV must be non-negative")
        if self.distribution == "uniform" and self.cv > 1 / math.sqrt(3) + 1e-12:
            raise InvalidProblemError("a uniform sorting time needs cv <= 1/sqrt(3) to stay non-negative")

    def with_mean(self, mean: float) -> SortingTime:
        """The same law with another mean."""
        return SortingTime(self.distribution, float(mean), self.cv)

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        """Draw sorting times (s) of the given shape.

        The draws are a fixed transformation of standard variates, so two laws that differ only in the mean,
        sampled from generators in the same state, give proportional paths (common random numbers).
        """
        m, cv = float(self.mean), float(self.cv)
        if self.distribution == "deterministic" or m == 0:
            return np.full(size, m)
        if self.distribution == "lognormal":
            sigma2 = math.log1p(cv * cv)
            return m * np.exp(math.sqrt(sigma2) * rng.standard_normal(size) - 0.5 * sigma2)
        if self.distribution == "exponential":
            return m * rng.standard_exponential(size)
        if self.distribution == "uniform":
            half = math.sqrt(3.0) * cv * m
            return m - half + 2.0 * half * rng.random(size)
        out = m + cv * m * rng.standard_normal(size)
        bad = out < 0
        while np.any(bad):
            out[bad] = m + cv * m * rng.standard_normal(int(bad.sum()))
            bad = out < 0
        return out


@dataclass(frozen=True)
class Instance:
    """A sequencing instance: rack, dedicated storage, drug popularity, prescription orders, sorting-time law.

    Parameters
    ----------
    name
        Instance name.
    rack
        The rack and robot.
    storage
        Home slot of each drug (``storage[d]``); each drug has one bin (dedicated storage).
    orders
        Prescription orders served FCFS, each a tuple of distinct drug ids. Their lines are numbered globally in
        this order (``lines``).
    sorting
        Pharmacist sorting-time law.
    popularity
        Demand share of each drug (for the heat map); empty when unknown.
    source
        Provenance (generator call).

    Raises
    ------
    InvalidProblemError
        On unknown drugs, repeated drugs inside an order, empty orders or two drugs sharing a slot.
    """

    name: str
    rack: Rack
    storage: tuple[int, ...]
    orders: tuple[tuple[int, ...], ...]
    sorting: SortingTime = field(default_factory=SortingTime)
    popularity: tuple[float, ...] = ()
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "storage", tuple(int(s) for s in self.storage))
        object.__setattr__(self, "orders", tuple(tuple(int(d) for d in o) for o in self.orders))
        object.__setattr__(self, "popularity", tuple(float(p) for p in self.popularity))
        issues = []
        n_drugs = len(self.storage)
        if len(set(self.storage)) != n_drugs:
            issues.append("two drugs share a storage slot")
        if any(not 0 <= s < self.rack.n_slots for s in self.storage):
            issues.append("a storage slot lies outside the rack")
        if self.popularity and len(self.popularity) != n_drugs:
            issues.append("popularity must have one value per drug")
        for o, order in enumerate(self.orders):
            if not order:
                issues.append(f"order {o} is empty")
            if len(set(order)) != len(order):
                issues.append(f"order {o} lists a drug twice")
            if any(not 0 <= d < n_drugs for d in order):
                issues.append(f"order {o} names an unknown drug")
        if not self.orders:
            issues.append("no orders")
        if issues:
            raise InvalidProblemError(issues)

    @property
    def n_orders(self) -> int:
        """Number of orders."""
        return len(self.orders)

    @property
    def n_drugs(self) -> int:
        """Number of drugs (bins)."""
        return len(self.storage)

    @property
    def lines(self) -> list[tuple[int, int]]:
        """``(order, drug)`` of every line in global line order."""
        return [(o, d) for o, order in enumerate(self.orders) for d in order]

    @property
    def n_lines(self) -> int:
        """Total number of lines."""
        return sum(len(o) for o in self.orders)

    def order_start(self) -> np.ndarray:
        """Offsets of the order blocks in the global line numbering (length ``N + 1``)."""
        return np.concatenate([[0], np.cumsum([len(o) for o in self.orders])]).astype(np.int64)

    def line_drugs(self) -> np.ndarray:
        """Drug of every line."""
        return np.array([d for o in self.orders for d in o], dtype=np.int64)

    def consecutive_conflicts(self) -> list[tuple[int, int]]:
        """``(order, drug)`` pairs where a drug of order ``o`` is also in order ``o + 1``.

        With two I/O points both bins at the I/O points must differ, but a drug has a single bin; the generator
        therefore draws consecutive orders with disjoint drugs, and two-I/O sequencing rejects instances with
        such conflicts (a reconstructed rule; see the module docstring of :mod:`hospital_or.adds.evaluator`).
        """
        out = []
        for o in range(self.n_orders - 1):
            out.extend((o, d) for d in sorted(set(self.orders[o]) & set(self.orders[o + 1])))
        return out

    def check_layout(self, layout: Layout) -> None:
        """Raise :class:`InvalidProblemError` when the instance cannot be run with this layout."""
        if layout.n_io == 2:
            conflicts = self.consecutive_conflicts()
            if conflicts:
                shown = ", ".join(f"orders {o}/{o + 1} share drug {d}" for o, d in conflicts[:5])
                raise InvalidProblemError(
                    f"two I/O points need consecutive orders without common drugs (one bin per drug): {shown}"
                )

    def to_arrays(self, layout: Layout) -> SequencingArrays:
        """The plain arrays the :mod:`solvers.sequencing` algorithms consume."""
        x, y = self.rack.slot_xy(np.asarray(self.storage, dtype=np.int64)[self.line_drugs()])
        io = layout.io_points(self.rack)
        return SequencingArrays(
            order_start=self.order_start(),
            line_x=np.asarray(x, dtype=float),
            line_y=np.asarray(y, dtype=float),
            drug=self.line_drugs(),
            io_x=np.array([p[0] for p in io]),
            io_y=np.array([p[1] for p in io]),
            v_x=float(self.rack.v_x),
            v_y=float(self.rack.v_y),
            handling=float(self.rack.handling),
            walk=float(layout.walk),
        )

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``format: hospital-or-adds/1``)."""
        return {
            "format": "hospital-or-adds/1",
            "name": self.name,
            "rack": asdict(self.rack),
            "storage": list(self.storage),
            "popularity": list(self.popularity),
            "sorting": asdict(self.sorting),
            "orders": [list(o) for o in self.orders],
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: str = "<dict>") -> Instance:
        """Inverse of :meth:`to_dict` (raises :class:`InstanceFormatError` on malformed data)."""
        try:
            if data.get("format") != "hospital-or-adds/1":
                raise InstanceFormatError(path, None, "not an ADDS instance (format must be 'hospital-or-adds/1')")
            return cls(
                name=str(data["name"]),
                rack=Rack(**data["rack"]),
                storage=tuple(data["storage"]),
                orders=tuple(tuple(o) for o in data["orders"]),
                sorting=SortingTime(**data.get("sorting", {})),
                popularity=tuple(data.get("popularity", ())),
                source=str(data.get("source", "")),
            )
        except InstanceFormatError:
            raise
        except (KeyError, TypeError, AttributeError) as exc:
            raise InstanceFormatError(path, None, f"missing or malformed field: {exc}") from exc

    def save(self, path: str | Path) -> None:
        """Write the instance as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> Instance:
        """Read an instance written by :meth:`save`."""
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise InstanceFormatError(path, exc.lineno, f"invalid JSON: {exc.msg}") from exc
        if not isinstance(data, dict):
            raise InstanceFormatError(path, None, "not an ADDS instance (expected a JSON object)")
        return cls.from_dict(data, str(path))


def sequence_to_orders(instance: Instance, sequence: Sequence[int]) -> list[list[int]]:
    """Per order, the drugs in processing order (from a sequence of global line indices)."""
    lines = instance.lines
    out: list[list[int]] = [[] for _ in range(instance.n_orders)]
    for j in sequence:
        o, d = lines[int(j)]
        out[o].append(d)
    return out
