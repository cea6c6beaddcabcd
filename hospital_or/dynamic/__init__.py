"""Two-stage dynamic AMR routing with priorities (Paper B, spec section 3).

- :mod:`~hospital_or.dynamic.params`: the cost model and decision rules (:class:`DynamicParams`, TOML);
- :mod:`~hospital_or.dynamic.model`: the dynamic problem, the stage-1 tabu plan and the hindsight plan;
- :mod:`~hospital_or.dynamic.policies`: the stage-2 policies ``greedy``, ``rules`` and ``rules+reopt`` (simulator
  protocol; importing this package registers them in :data:`hospital_or.simulation.POLICIES`);
- :mod:`~hospital_or.dynamic.run`: one dynamic day (:func:`run_dynamic`) and its outputs;
- :mod:`~hospital_or.dynamic.sweep`: safety stock x reservation thresholds (:func:`~hospital_or.dynamic.sweep.sweep`);
- :mod:`~hospital_or.dynamic.tabu_solve`: :func:`~hospital_or.dynamic.tabu_solve.solve_tabu`, the tabu search with the
  interface of :func:`hospital_or.solve.solve`.
"""

from hospital_or.dynamic.model import StagePlan, dynamic_problem, hindsight_plan, known_requests, stage1_plan
from hospital_or.dynamic.params import DynamicParams, load_dynamic_params
from hospital_or.dynamic.policies import (
    DYNAMIC_POLICIES,
    GreedyPolicy,
    InsertionPolicy,
    RulesPolicy,
    RulesReoptPolicy,
    make_dynamic,
)
from hospital_or.dynamic.run import DynamicResult, executed_solution, run_dynamic, write_dynamic_outputs

__all__ = [
    "DYNAMIC_POLICIES",
    "DynamicParams",
    "DynamicResult",
    "GreedyPolicy",
    "InsertionPolicy",
    "RulesPolicy",
    "RulesReoptPolicy",
    "StagePlan",
    "dynamic_problem",
    "executed_solution",
    "hindsight_plan",
    "known_requests",
    "load_dynamic_params",
    "make_dynamic",
    "run_dynamic",
    "stage1_plan",
    "write_dynamic_outputs",
]
