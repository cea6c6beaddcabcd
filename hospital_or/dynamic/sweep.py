"""The managerial experiment of spec 3.4: safety stock ``s`` x reservation thresholds ``r``, cost components.

:func:`sweep` runs the ``rules`` policy (and, for reference, ``greedy``) on one instance for every ``s`` and every
threshold vector, reusing one stage-1 plan and one hindsight plan per instance (they do not depend on ``s`` or ``r``).
:func:`plot_sweep` draws the cost components against ``s``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hospital_or.dynamic.model import dynamic_problem, hindsight_plan, stage1_plan
from hospital_or.dynamic.params import DynamicParams
from hospital_or.dynamic.run import run_dynamic
from hospital_or.problem import Problem

__all__ = ["DEFAULT_RESERVATIONS", "plot_sweep", "sweep"]

#: The threshold vectors of spec 3.4.
DEFAULT_RESERVATIONS = ((0, 0, 0), (0, 1, 1), (0, 1, 2))

COLUMNS = ("instance", "policy", "s", "r", "fleet", "cost", "purchase", "transport", "delay", "denial", "served",
           "rejected", "rejected_p1", "rejected_p2", "rejected_p3", "hindsight_cost", "gap_pct", "decision_ms_median")


def sweep(
    problem: Problem,
    *,
    seed: int,
    params: DynamicParams | None = None,
    stocks: tuple[int, ...] = (0, 1, 2, 3, 4),
    reservations: tuple[tuple[int, int, int], ...] = DEFAULT_RESERVATIONS,
    greedy: bool = True,
    hindsight: bool = True,
) -> pd.DataFrame:
    """One row per (policy, s, r) with the cost components (columns :data:`COLUMNS`)."""
    # the grid sets s exactly: no morning check of the fleet
    params = (params or DynamicParams()).replace(safety_check_scenarios=0)
    rng = np.random.default_rng(seed)
    model = dynamic_problem(problem, params, rng)
    plan = stage1_plan(model, params, rng)
    hs = hindsight_plan(model, params, rng) if hindsight else None
    rows = []
    for s in stocks:
        runs = [("rules", r) for r in reservations] + ([("greedy", (0, 0, 0))] if greedy else [])
        done = set()
        for policy, r in runs:
            p = params.replace(safety_stock=int(s), reservation=tuple(r))
            key = (policy, p.effective_reservation())
            if key in done:  # thresholds clipped to s coincide with a vector already run
                continue
            done.add(key)
            res = run_dynamic(problem, policy, seed=seed, params=p, stage1=plan, hindsight_result=hs,
                              hindsight=hindsight)
            d = res.to_dict()
            bp = d["by_priority"]
            rows.append((problem.name, policy, int(s), "".join(str(x) for x in d["reservation"]), d["fleet"],
                         d["cost"], *d["components"].values(), d["served"], d["rejected"],
                         bp["1"]["rejected"], bp["2"]["rejected"], bp["3"]["rejected"],
                         d["hindsight_cost"], d["hindsight_gap_pct"], d["decision_ms"]["median"]))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def plot_sweep(frame: pd.DataFrame, ax=None, policy: str = "rules", reservation: str | None = None):
    """Stacked cost components against the safety stock (one reservation vector; the best per ``s`` if None)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    data = frame[frame["policy"] == policy]
    data = data[data["r"] == reservation] if reservation is not None else data.loc[data.groupby("s")["cost"].idxmin()]
    data = data.groupby("s")[["purchase", "transport", "delay", "denial", "cost"]].mean()
    bottom = np.zeros(len(data))
    for comp in ("purchase", "transport", "delay", "denial"):
        ax.bar(data.index, data[comp], bottom=bottom, label=comp)
        bottom += data[comp].to_numpy()
    ax.plot(data.index, data["cost"], "k.-", label="total")
    ax.set_xlabel("safety stock s (spare AMRs)")
    ax.set_ylabel("cost Z")
    ax.set_title(f"{policy}: cost components against s" + (f" (r = {reservation})" if reservation else ""))
    ax.legend(fontsize=8)
    return ax
