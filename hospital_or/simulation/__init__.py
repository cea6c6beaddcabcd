"""SimPy simulation of the AMR hospital day: plans executed under uncertainty, policies, KPIs and replications.

- :func:`simulate` runs one day (:mod:`hospital_or.simulation.model` documents the model and the common random
  numbers); :func:`replicate` runs many and :func:`summarise` gives KPI means with 95 % confidence intervals.
- :mod:`hospital_or.simulation.policy` defines the policy protocol (``on_reveal``/``on_idle`` returning a
  :class:`Decision` over the uncommitted part of the AMRs' plans) and ships ``static`` and ``nearest-idle``.
- :mod:`hospital_or.simulation.scenarios` builds synthetic hospital days and two baseline plans.
"""

from hospital_or.simulation.kpis import (
    KPI_NAMES,
    ReplicationResult,
    replicate,
    replication_rng,
    summarise,
    t_quantile,
)
from hospital_or.simulation.model import (
    EVENT_COLUMNS,
    VISIT_COLUMNS,
    SimulationConfig,
    SimulationModel,
    SimulationResult,
    simulate,
)
from hospital_or.simulation.policy import (
    POLICIES,
    AMRView,
    BasePolicy,
    Decision,
    NearestIdlePolicy,
    PendingPlan,
    Policy,
    PolicyError,
    SimState,
    StaticPolicy,
    make_policy,
    register_policy,
)
from hospital_or.simulation.scenarios import nearest_neighbour_plan, one_trip_per_request, synthetic_day

__all__ = [
    "EVENT_COLUMNS",
    "KPI_NAMES",
    "POLICIES",
    "VISIT_COLUMNS",
    "AMRView",
    "BasePolicy",
    "Decision",
    "NearestIdlePolicy",
    "PendingPlan",
    "Policy",
    "PolicyError",
    "ReplicationResult",
    "SimState",
    "SimulationConfig",
    "SimulationModel",
    "SimulationResult",
    "StaticPolicy",
    "make_policy",
    "nearest_neighbour_plan",
    "one_trip_per_request",
    "register_policy",
    "replicate",
    "replication_rng",
    "simulate",
    "summarise",
    "synthetic_day",
    "t_quantile",
]
