"""Automated drug dispensing system (ADDS): dual-command retrieval sequencing with one or two I/O points.

Reconstruction of Yuan, Wu & Zhao (arXiv:2312.11306); see ``../shared/specs/adds.md`` for what is confirmed and what
is reconstructed (every reconstructed choice is a parameter here). Algorithms live in :mod:`solvers.sequencing`.
"""

from hospital_or.adds.evaluator import Timing, evaluate
from hospital_or.adds.experiment import CompareConfig, CompareResult, run_compare
from hospital_or.adds.generator import GeneratorConfig, generate_instance
from hospital_or.adds.model import Instance, Layout, Rack, SortingTime, sequence_to_orders
from hospital_or.adds.sequencing import METHODS, plan_scenarios, sequence_instance
from hospital_or.adds.simulation import Activity, SimulationResult, simulate

__all__ = [
    "METHODS",
    "Activity",
    "CompareConfig",
    "CompareResult",
    "GeneratorConfig",
    "Instance",
    "Layout",
    "Rack",
    "SimulationResult",
    "SortingTime",
    "Timing",
    "evaluate",
    "generate_instance",
    "plan_scenarios",
    "run_compare",
    "sequence_instance",
    "sequence_to_orders",
    "simulate",
]
