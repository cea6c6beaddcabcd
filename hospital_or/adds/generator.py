"""Seeded instance generator (spec section 7; every value is a reconstructed default and a parameter).

Defaults: rack 8 x 25 slots of 0.4 m x 0.3 m, ``v_x = 1.0``, ``v_y = 0.5`` m/s, handling 1 s, 200 drugs with one
bin each in random slots, Zipf(0.8) popularity, ``U{1..5}`` lines per order, lognormal sorting time with mean 12 s and
CV 0.3, 30 orders.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from hospital_or.adds.model import Instance, Rack, SortingTime
from hospital_or.exceptions import InvalidProblemError

STORAGE_POLICIES = ("random", "coi")
LINE_LAWS = ("uniform", "poisson")


@dataclass(frozen=True)
class GeneratorConfig:
    """Parameters of :func:`generate_instance`.

    Parameters
    ----------
    n_orders
        Number of prescription orders.
    rack
        Rack geometry and robot.
    n_drugs
        Number of drugs (one bin each); at most the number of slots.
    storage
        ``"random"`` slots, or ``"coi"`` (most popular drugs in the slots with the shortest single-command
        time from the lower-left I/O point).
    zipf
        Popularity exponent: drug of rank ``r`` has weight ``r ** -zipf`` (0 = uniform).
    lines
        ``"uniform"``: ``U{1..max_lines}``; ``"poisson"``: ``1 + Poisson(poisson_mean)`` capped at ``max_lines``.
    max_lines, poisson_mean
        See ``lines``.
    disjoint_consecutive
        Draw each order without the drugs of the previous one (needed by the two-I/O layout, where one bin
        cannot be at both I/O points).
    sorting
        Pharmacist sorting-time law stored in the instance.
    """

    n_orders: int = 30
    rack: Rack = field(default_factory=Rack)
    n_drugs: int = 200
    storage: str = "random"
    zipf: float = 0.8
    lines: str = "uniform"
    max_lines: int = 5
    poisson_mean: float = 2.0
    disjoint_consecutive: bool = True
    sorting: SortingTime = field(default_factory=SortingTime)

    def __post_init__(self) -> None:
        if self.storage not in STORAGE_POLICIES:
            raise InvalidProblemError(f"unknown storage policy {self.storage!r}; choose from {STORAGE_POLICIES}")
        if self.lines not in LINE_LAWS:
            raise InvalidProblemError(f"unknown lines-per-order law {self.lines!r}; choose from {LINE_LAWS}")
        if not 1 <= self.n_drugs <= self.rack.n_slots:
            raise InvalidProblemError(f"n_drugs must be in 1..{self.rack.n_slots} (number of slots)")
        if self.n_orders < 1 or self.max_lines < 1:
            raise InvalidProblemError("n_orders and max_lines must be at least 1")
        if self.disjoint_consecutive and 2 * self.max_lines > self.n_drugs:
            raise InvalidProblemError("disjoint consecutive orders need n_drugs >= 2 * max_lines")


def generate_instance(config: GeneratorConfig | None = None, seed: int = 0, name: str | None = None) -> Instance:
    """Generate one instance; the same ``config`` and ``seed`` always give the same instance.

    Parameters
    ----------
    config
        Generator parameters (defaults: :class:`GeneratorConfig`).
    seed
        Seed of the ``numpy.random.Generator`` used for every draw.
    name
        Instance name (default ``adds-<n_orders>-s<seed>``).
    """
    cfg = config or GeneratorConfig()
    rng = np.random.default_rng(seed)
    rack = cfg.rack
    weights = np.arange(1, cfg.n_drugs + 1, dtype=float) ** -cfg.zipf
    popularity = np.empty(cfg.n_drugs)
    popularity[rng.permutation(cfg.n_drugs)] = weights / weights.sum()  # drug ids carry no rank information
    if cfg.storage == "random":
        storage = rng.choice(rack.n_slots, size=cfg.n_drugs, replace=False)
    else:
        slots = np.arange(rack.n_slots)
        x, y = rack.slot_xy(slots)
        sc = rack.travel(0.0, 0.0, x, y)
        best_slots = slots[np.lexsort((slots, sc))][: cfg.n_drugs]
        storage = np.empty(cfg.n_drugs, dtype=np.int64)
        storage[np.argsort(-popularity, kind="stable")] = best_slots
    orders: list[tuple[int, ...]] = []
    previous: tuple[int, ...] = ()
    for _ in range(cfg.n_orders):
        if cfg.lines == "uniform":
            size = int(rng.integers(1, cfg.max_lines + 1))
        else:
            size = min(cfg.max_lines, 1 + int(rng.poisson(cfg.poisson_mean)))
        p = popularity.copy()
        if cfg.disjoint_consecutive and previous:
            p[list(previous)] = 0.0
        p /= p.sum()
        order = tuple(int(d) for d in rng.choice(cfg.n_drugs, size=size, replace=False, p=p))
        orders.append(order)
        previous = order
    params = asdict(cfg)
    return Instance(
        name=name or f"adds-{cfg.n_orders}-s{seed}",
        rack=rack,
        storage=tuple(int(s) for s in storage),
        orders=tuple(orders),
        sorting=cfg.sorting,
        popularity=tuple(float(v) for v in popularity),
        source=f"hospital_or.adds.generate_instance(seed={seed}, config={params})",
    )
