"""Compare layouts x methods x sorting-time levels with common random numbers and 95 % confidence intervals.

For every instance ``i`` (generated with its own seed) and every sorting-time level, all layouts and methods are
scored on the **same** evaluation paths of sorting times; the paths of different levels are the same standard draws
scaled to the level's mean (common random numbers across levels too). The planning scenarios of the IP come from an
independent stream. The summary has one row per ``layout x method x sorting_mean_s`` with the mean over instances of
the per-instance average picking time and the half-width of its 95 % Student-t confidence interval; the paired
difference to the IP (same instances and paths) is reported as well.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from statistics import NormalDist

import numpy as np
import pandas as pd

from hospital_or.adds.evaluator import evaluate
from hospital_or.adds.generator import GeneratorConfig, generate_instance
from hospital_or.adds.model import Layout
from hospital_or.adds.sequencing import METHODS, sequence_instance
from solvers.sequencing import RollingStats

#: Columns of the summary rows (``compare --format json``); the first six are a contract.
SUMMARY_COLUMNS = (
    "layout",
    "method",
    "sorting_mean_s",
    "apt_mean_s",
    "apt_ci95_s",
    "n_instances",
    "apt_sd_s",
    "diff_vs_ip_mean_s",
    "diff_vs_ip_ci95_s",
    "layout_gain_pct",
    "sequencing_seconds_mean",
)

#: Methods whose sequence depends on the sorting-time level (only with two I/O points).
_LEVEL_DEPENDENT = {"ip", "ip-line", "ip-mean"}


@dataclass(frozen=True)
class CompareConfig:
    """Parameters of :func:`run_compare`.

    Parameters
    ----------
    n_instances
        Number of generated instances.
    sorting_means
        Mean sorting times (s) compared.
    layouts, methods
        Subsets of ``("1io", "2io")`` and :data:`hospital_or.adds.METHODS`.
    seed
        Master seed (instances, evaluation paths, planning scenarios, random sequences).
    n_eval, n_plan
        Evaluation paths per instance and planning scenarios of the IP.
    generator
        Instance generator parameters (its sorting law gives the distribution and CV; the mean is replaced by each
        level).
    placement, walk
        Placement of the second I/O point and the pharmacist's walk (2-I/O).
    solver, time_limit, window_orders, eps, travel_eps
        IP options (``travel_eps``: robot-travel tie-break weight, 0 = the spec's objective).
    """

    n_instances: int = 30
    sorting_means: tuple[float, ...] = (4.0, 12.0, 25.0)
    layouts: tuple[str, ...] = ("1io", "2io")
    methods: tuple[str, ...] = ("ip", "dp", "greedy", "random", "fcfs")
    seed: int = 0
    n_eval: int = 200
    n_plan: int = 8
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    placement: str = "adjacent"
    walk: float = 0.0
    solver: str = "highs"
    time_limit: float | None = None
    window_orders: int = 2
    eps: float = 0.01
    travel_eps: float = 0.0

    def __post_init__(self) -> None:
        bad = [m for m in self.methods if m not in METHODS]
        if bad:
            raise ValueError(f"unknown method(s) {bad}; choose from {', '.join(METHODS)}")
        bad = [lay for lay in self.layouts if lay not in ("1io", "2io")]
        if bad:
            raise ValueError(f"unknown layout(s) {bad}; choose 1io or 2io")
        if self.n_instances < 1 or self.n_eval < 1 or self.n_plan < 1:
            raise ValueError("n_instances, n_eval and n_plan must be positive")
        if not self.sorting_means or min(self.sorting_means) < 0:
            raise ValueError("give at least one non-negative sorting mean")


@dataclass
class CompareResult:
    """Output of :func:`run_compare`."""

    summary: pd.DataFrame  # one row per layout x method x sorting level (SUMMARY_COLUMNS)
    raw: pd.DataFrame  # one row per instance x layout x method x level
    windows: pd.DataFrame  # one row per solved IP window (method, layout, level, size, solve_s, solve_cpu_s, build_s)

    def rows(self) -> list[dict]:
        """Summary rows as JSON-ready dicts."""
        out = []
        for rec in self.summary.to_dict(orient="records"):
            out.append({k: _json_value(v) for k, v in rec.items()})
        return out


def _json_value(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(float(v)) else float(v)
    return v


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom (exact for 1, 2; Cornish-Fisher else)."""
    if df < 1:
        return math.nan
    if df == 1:
        return math.tan(math.pi * 0.475)
    if df == 2:
        p = 0.975
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    z = NormalDist().inv_cdf(0.975)
    v = float(df)
    return (
        z
        + (z**3 + z) / (4 * v)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * v**4)
    )


def ci95_half_width(values: Sequence[float]) -> float:
    """Half-width of the 95 % Student-t confidence interval of the mean (NaN with fewer than two values)."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return math.nan
    return float(t_quantile_975(len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))


def instance_seed(seed: int, i: int) -> int:
    """Seed of instance ``i`` of an experiment with master seed ``seed``."""
    return int(np.random.SeedSequence([seed, i]).generate_state(1)[0])


def run_instance(config: CompareConfig, i: int) -> tuple[list[dict], list[dict]]:
    """All layouts x methods x levels on instance ``i``; returns raw rows and IP window records."""
    inst = generate_instance(config.generator, instance_seed(config.seed, i), name=f"adds-cmp-{config.seed}-{i}")
    rows: list[dict] = []
    windows: list[dict] = []
    cache: dict[tuple[str, str], tuple[np.ndarray, float]] = {}
    for mean in config.sorting_means:
        law = inst.sorting.with_mean(mean)
        level_inst = replace(inst, sorting=law)
        paths = law.sample(np.random.default_rng([config.seed, i, 1]), (config.n_eval, inst.n_lines))
        for lay_name in config.layouts:
            layout = Layout.parse(lay_name, config.placement, config.walk)
            for method in config.methods:
                key = (lay_name, method)
                depends = method in _LEVEL_DEPENDENT and layout.n_io == 2
                if depends or key not in cache:
                    stats = RollingStats()
                    t0 = time.perf_counter()
                    seq = sequence_instance(
                        level_inst,
                        layout,
                        method,
                        np.random.default_rng([config.seed, i, 2 if method.startswith("ip") else 3]),
                        n_plan=config.n_plan,
                        window_orders=config.window_orders,
                        eps=config.eps,
                        solver=config.solver,
                        time_limit=config.time_limit,
                        stats=stats,
                        travel_eps=config.travel_eps,
                    )
                    cache[key] = (seq, time.perf_counter() - t0)
                    windows.extend(
                        {
                            "instance": i,
                            "method": method,
                            "layout": lay_name,
                            "sorting_mean_s": float(mean),
                            "size": size,
                            "solve_s": solve_s,
                            "solve_cpu_s": cpu_s,
                            "build_s": build_s,
                        }
                        for size, solve_s, cpu_s, build_s in zip(
                            stats.window_sizes,
                            stats.solve_seconds,
                            stats.solve_cpu_seconds,
                            stats.build_seconds,
                            strict=True,
                        )
                    )
                seq, seconds = cache[key]
                timing = evaluate(level_inst, layout, seq, paths)
                rows.append(
                    {
                        "instance": i,
                        "layout": lay_name,
                        "method": method,
                        "sorting_mean_s": float(mean),
                        "apt_s": timing.apt_mean,
                        "robot_utilisation": timing.robot_utilisation,
                        "pharmacist_idle_share": timing.pharmacist_idle_share,
                        "sequencing_seconds": seconds,
                    }
                )
    return rows, windows


def summarise(raw: pd.DataFrame) -> pd.DataFrame:
    """Summary rows (:data:`SUMMARY_COLUMNS`) from per-instance rows."""
    out = []
    for (lay, method, mean), grp in raw.groupby(["layout", "method", "sorting_mean_s"], sort=False):
        grp = grp.sort_values("instance")
        row = {
            "layout": lay,
            "method": method,
            "sorting_mean_s": float(mean),
            "apt_mean_s": float(grp["apt_s"].mean()),
            "apt_ci95_s": ci95_half_width(grp["apt_s"]),
            "n_instances": len(grp),
            "apt_sd_s": float(grp["apt_s"].std(ddof=1)) if len(grp) > 1 else math.nan,
            "diff_vs_ip_mean_s": math.nan,
            "diff_vs_ip_ci95_s": math.nan,
            "layout_gain_pct": math.nan,
            "sequencing_seconds_mean": float(grp["sequencing_seconds"].mean()),
        }
        ip = raw[(raw.layout == lay) & (raw.method == "ip") & (raw.sorting_mean_s == mean)].sort_values("instance")
        if len(ip) == len(grp) and len(ip):
            diff = grp["apt_s"].to_numpy() - ip["apt_s"].to_numpy()
            row["diff_vs_ip_mean_s"] = float(diff.mean())
            row["diff_vs_ip_ci95_s"] = ci95_half_width(diff)
        base = raw[(raw.layout == "1io") & (raw.method == method) & (raw.sorting_mean_s == mean)]
        if lay == "2io" and len(base):
            b = float(base["apt_s"].mean())
            row["layout_gain_pct"] = 100.0 * (b - row["apt_mean_s"]) / b
        out.append(row)
    return pd.DataFrame(out, columns=list(SUMMARY_COLUMNS))


def run_compare(
    config: CompareConfig | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> CompareResult:
    """Run the comparison (optionally on ``workers`` processes; results do not depend on ``workers``).

    Parameters
    ----------
    config
        Experiment parameters.
    workers
        Worker processes (instances are independent).
    progress
        Called with ``(done, total)`` after each instance.
    """
    cfg = config or CompareConfig()
    results: list[tuple[list[dict], list[dict]]] = []
    if workers <= 1:
        for i in range(cfg.n_instances):
            results.append(run_instance(cfg, i))
            if progress:
                progress(i + 1, cfg.n_instances)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(run_instance, cfg, i) for i in range(cfg.n_instances)]
            for done, fut in enumerate(futures, start=1):
                results.append(fut.result())
                if progress:
                    progress(done, cfg.n_instances)
    raw = pd.DataFrame([r for rows, _ in results for r in rows])
    order = {m: k for k, m in enumerate(cfg.methods)}
    summary = summarise(raw)
    summary = summary.sort_values(
        ["sorting_mean_s", "layout", "method"], key=lambda s: s.map(order) if s.name == "method" else s
    ).reset_index(drop=True)
    windows = pd.DataFrame(
        [w for _, ws in results for w in ws],
        columns=["instance", "method", "layout", "sorting_mean_s", "size", "solve_s", "solve_cpu_s", "build_s"],
    )
    return CompareResult(summary, raw, windows)
