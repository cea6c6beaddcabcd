"""Variable neighbourhood search for stochastic multi-trip AMR routing (Paper A, spec 2.7, Algorithm 1).

::

    S <- InitialSolution();  S <- FeasibleOperation(S);  S* <- S;  k <- 1
    until stop(S*):
        S' <- Shaking(S, k)                 # cyclic exchange (kappa = 1..15) or remove-reinsert (k requests)
        S' <- LocalSearch(S')               # VND over granular neighbourhoods, penalised cost (engine kernels)
        S' <- FeasibleOperation(S')         # depot insertion (trip split), charging insertion, trips -> AMRs
        accept S' (improving, or simulated annealing);  k <- 1 on acceptance else k mod k_max + 1
        S* <- S' if S' is feasible and cheaper;  adapt the penalty weights (x/÷ 1.2, bounds [0.5, 5000])
        AMR decrease on a feasible current solution (empty the AMR with least work, reinsert its requests)

Deterministic single-trip problems with hard time windows first spend ``VNSParams.route_elimination`` of the
budget on route elimination (:mod:`solvers.route_elimination`, Nagata & Braysy 2009), starting from the first
feasible solution; afterwards, whenever the best plan has not improved for a while, a fixed-fleet polish
(``VNSParams.polish_stall``) runs large-neighbourhood steps on it with the route elimination's insertion machinery,
and a current solution stuck on infeasible plans of the best plan's fleet goes back to the best plan
(``VNSParams.restart_infeasible``). Single-trip problems pool the trips of every feasible solution met and
periodically recombine them by set partitioning (:mod:`solvers.set_partitioning`, ``VNSParams.set_partitioning``).

``F(S) = fixed_cost * AMRs + cost_per_distance * distance + lateness + w_cap P_cap + w_time P_time
+ w_batt P_batt`` with AMRs from :func:`solvers.engine.assignment.assign_trips` (one trip per AMR when
``max_trips == 1``). Everything random is drawn from one seeded ``numpy.random.Generator``; with an iteration
limit the run is reproducible (a time limit makes the number of iterations, and with simulated annealing also the
cooling schedule, depend on the machine).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from solvers.engine import kernels as K
from solvers.engine.assignment import T_BATT_VIOL, T_END_Q, T_LCOST, T_SOC, T_TIME_VIOL, TripSimulator, assign_trips
from solvers.engine.neighbours import granular_neighbours
from solvers.engine.operators import (
    CYCLIC_NEIGHBOURHOODS,
    amr_decrease,
    cyclic_exchange,
    depot_insertion,
    initial_solution,
    remove_reinsert,
)
from solvers.engine.search import OP_ALL, OP_EMPTY, OP_STATION_ADD, OP_STATION_DROP
from solvers.engine.state import RoutingEngine
from solvers.params_file import TomlParams
from solvers.route_elimination import RouteEliminator, fleet_lower_bound
from solvers.routing_arrays import RoutingArrays
from solvers.set_partitioning import TripPool

logger = logging.getLogger("solvers.vns")


@dataclass
class VNSParams(TomlParams, section="vns"):
    """Parameters of the VNS (defaults: spec 2.7 [R] and Schneider et al. 2014 [C] where they exist).

    Parameters
    ----------
    granular
        Length of the granular neighbour lists (10; the spec suggests 20, but 10 gave more iterations and
        smaller gaps on Solomon at 5-10 s in our measurements).
    max_segment
        Longest segment moved by Or-opt (3).
    shaking
        ``"cyclic"`` (Schneider's cyclic exchange, ``k_max = 15``) or ``"remove_reinsert"`` (remove ``k`` random
        requests and reinsert each at its cheapest position, ``k_max = 5``).
    k_max
        Number of shaking neighbourhoods (``None``: 15 for cyclic, 5 for remove-reinsert).
    use_local_search
        Run the VND after shaking (False gives the reduced VNS).
    acceptance
        ``"sa"`` (Metropolis, as in Schneider) or ``"improving"``.
    sa_worse, sa_accept_prob
        The initial temperature accepts a solution ``sa_worse`` (8 %) longer with probability ``sa_accept_prob``
        (0.5); the temperature falls linearly to 0 over the run.
    sa_iterations
        Cooling horizon in iterations when the stopping criterion cannot tell how far the run is (2000 = it_max).
    penalty_init, penalty_min, penalty_max, penalty_factor
        Adaptive penalty weights of the capacity, time/chance and battery violations (10, 0.5, 5000, 1.2).
    amr_decrease
        Fleet minimisation: when a feasible candidate is accepted, empty the AMR with the least work and reinsert
        its requests; the penalised search then repairs the result or reopens a trip.
    amr_decrease_interval
        Minimum number of iterations between two AMR-decrease attempts.
    amr_decrease_backoff
        Single-trip plans of at most this many AMRs (``0``: never): when the best fleet has not shrunk since the
        last AMR-decrease attempt, the wait to the next attempt doubles, up to ``amr_decrease_max_wait``
        iterations (back to ``amr_decrease_interval`` once one succeeds). Emptying one of k AMRs reinserts about
        1/k of the requests, and the penalised search stays on infeasible solutions until it reopens a trip; with
        2-5 long trips (type-2 instances) that kept the VNS away from the distance whenever the fleet could not
        shrink. On larger fleets the decrease is a mild ruin-and-recreate of one trip and stays at every
        accepted feasible candidate. Measured at 60 s, one run each: E-VRPTW rc205_21 10.6 -> 2.9 %, rc208_21
        5.9 -> 0.6 %, rc201_21 2.1 -> 0.2 %; all 56 with the backoff on every fleet: r2 2.16 -> 1.11 %, rc2 4.22
        -> 2.22 %, but 46 BKS fleets instead of 50 (r103_21, rc106_21, rc108_21 one AMR more; r104_21 2.3 -> 7.1
        %, r111_21 2.4 -> 6.5 %).
    amr_decrease_max_wait
        Longest wait of the backoff (256 iterations, about 5 % of a 60 s run on E-VRPTW type-2): later attempts
        can still find the smaller fleet (rc205_21 reached 3 AMRs only through an AMR decrease after the route
        elimination stopped at 4; without a cap one run never got there).
    fleet_phase
        Single-trip problems: after an AMR decrease that the local search cannot repair, the search keeps the
        reduced fleet (no trip may be opened) for up to this many iterations, repairing with the penalised cost
        (Schneider et al. 2014 search with a fixed fleet); without a feasible solution by then it returns to the
        solution before the decrease and waits ``fleet_phase * failures`` iterations before the next attempt.
        ``0`` (default): no fixed-fleet phase (the penalised search may reopen a trip once the penalties outgrow
        the fixed cost). With 200 on E-VRPTW large at 30 s the fleet did not improve on the instances tried and the
        distance got worse (c105_21 about +5 points), so it is off by default.
    fleet_penalty
        Penalty per AMR beyond the fleet size (multi-trip problems).
    station_relocate
        Inter-trip relocates evaluated with the charging stations re-optimised in the same move: ``"drop"`` (the
        losing trip may drop the station next to the removed segment), ``"add"`` (the receiving trip may add one
        of the nearest stations next to the inserted segment when its battery violation grows), ``"both"`` or
        ``"off"`` (default). Only matters when the problem has charging stations. Measured on E-VRPTW large at
        30 s (same-run comparisons): ``"both"``/``"drop"`` shortened the over-fleet R instances (r101_21 6.0 %
        -> 0.1-4.8 %, r105_21 one AMR fewer more often, r102_21 18 -> 17 AMRs) but lengthened the instances
        that already reach the BKS fleet (c105_21, r201_21, rc105_21 by 1-3 points), so the default stays off.
    route_elimination
        Deterministic single-trip problems with hard time windows: share of the run spent first on route
        elimination (Nagata & Braysy 2009, :mod:`solvers.route_elimination`): repeatedly remove a trip and empty
        its ejection pool with feasible insertion, squeeze and insertion-ejection, until the capacity lower
        bound on the fleet is reached or the share of the stopping criterion's budget is used; then the VNS
        minimises the distance. ``0`` switches it off. Default 0.3. With the attempt restarts of
        ``re_attempt_pops`` (the old default 150) 0.15 and 0.3 gave the same fleets (E-VRPTW large, 8-instance
        sample, 30 s). Without them the phase reaches tighter fleets but needs longer: alone (95 % of 60 s) it
        reached the BKS fleet of c108_21, r106_21, r109_21 and r110_21 after 5-16 s and of c103_21 after 36 s;
        at 60 s with the VNS, 0.15 gave the BKS fleet on 3 of the 6 instances that missed it and 0.3 on 5.
        All 56 E-VRPTW large at 60 s with both changes: BKS fleet on 54 of 56 on seed 0 and on seed 1 (was 50 and
        52; rc102_21 14 AMRs, one below the BKS; r105_21 15/14), mean gap at the BKS fleet 0.43 % and 0.55 %.
    re_max_pops
        Cap on the ejection-pool pops of the route-elimination phase while the stopping criterion cannot measure
        the phase's progress (an iteration limit counts VNS iterations only, so its share stays where the phase
        started); a time limit ends the phase at
        ``route_elimination`` of the limit instead.
    re_ejections
        Most requests ejected by one insertion-ejection (1-3).
    re_perturb
        Random feasible moves tried by one perturbation of the route elimination.
    re_squeeze_weight
        Penalty weight of the squeeze (penalised insertion plus penalised local search).
    re_eject_stations
        Insertion-ejection may also drop charging-station visits of the trip (for free), so that a trip whose
        charging stop blocks a request can take it (problems with stations only).
    re_attempt_pops
        Problems with stations: an attempt whose pool is not empty after this many pops restores the solution and
        starts again on another random trip (``0``: never, the default). A restart also resets the ejection
        counters, and these need thousands of pops to steer the insertion-ejection: with 150 the phase alone (95 %
        of 60 s, seed 0) stayed one AMR above the BKS fleet on c108_21, r105_21 and r109_21 (71-92 restarts);
        with 0 it reached the BKS fleet on all three (c108_21 after 1,741 pops).
    re_pop_order
        Order in which requests leave the ejection pool: ``"lifo"`` (Nagata & Braysy) or ``"penalty"`` (largest
        ejection counter first).
    re_fixed_fleet
        After the route-elimination phase the VNS keeps its fleet: no trip may open (shaking and local search
        repair with the penalised cost, as Schneider et al. 2014 do with a fixed fleet) and the VNS's own AMR
        decrease is off. Without it (False) the penalised search reopens a trip whenever the penalties outgrow
        the fixed cost, and on tight fleets (r101_21 at 18 AMRs) no feasible neighbour of the same fleet is
        ever accepted, so the distance stays where the route elimination left it. Measured (one run each, noisy):
        E-VRPTW sample at 60 s mean gap 5.0 % -> 3.3 % (c101_21/c105_21 0.0 %, r201_21 0.8 %, rc201_21 0.4 %;
        the tight type-1 fleets r101_21/rc101_21 stay at 6-10 %); Solomon sample at 10 s 2.06 % -> 1.86 %.
        But on all 56 Solomon instances at 10 s the fixed fleet left many plans far from the best distance
        (R102 20 AMRs and +15.7 %, R203 +18.1 %, RC207 +26.0 %, RC103 +15.8 %, R112 10 AMRs and +12.9 %), while
        without it the same runs gave R102 17 AMRs +0.9 %, R203 +0.9 %, RC207 +3.0 %, RC103 +1.7 %, R112 9 AMRs
        +5.0 %; so the default is False.
    re_restart
        With ``re_fixed_fleet``: after this many iterations with an infeasible current solution the search
        restarts from the best plan with the initial penalty weights.
    restart_infeasible
        Single-trip problems: after this many iterations with an infeasible current solution the search goes
        back to the best plan with the initial penalty weights (``0``: never). After the route elimination the
        plan is often so tight that the penalised search lives on slightly infeasible neighbours of the same fleet
        for the rest of the run (rc205_21: the current solution feasible in 10-17 % of the iterations, the best
        never shorter than the route elimination's plan). Only stretches with at least as many trips as the best
        plan count: an AMR decrease under repair has one trip fewer and may stay infeasible long. Without that
        condition (any infeasible stretch, 50) Solomon at 10 s lost R104 and R110 their BKS fleets (55 -> 53 of 56).
        With the polish below it is the default (50); see there for the measurements.
    polish_stall, polish_steps, polish_remove, polish_pops
        Fixed-fleet polish (problems with the route-elimination phase): when the best plan has not improved for
        ``polish_stall`` iterations (``0``: never), ``polish_steps`` large-neighbourhood steps start from it. A
        step takes a random request and its ``polish_remove - 1`` granular neighbours out, puts them back with
        the route elimination's feasible insertion, squeeze and insertion-ejection (at most ``polish_pops``
        pops, no trip opens) and runs the distance descent; it is kept when the plan is shorter. After a burst
        that kept nothing, the wait to the next one doubles. Defaults 300 / 100 / 6 / 50. Measured together with
        ``restart_infeasible = 50`` against both off, seed 0, same machine: E-VRPTW large at 60 s, a 20-instance
        sample with the worst gaps and the fleet misses: mean gap at the BKS fleet 2.49 -> 0.85 % over the 14 at
        the BKS fleet, every one shorter or equal (rc205_21 11.94 -> -0.28 %, rc208_21 4.62 -> 1.42 %, r103_21
        -2.08 -> -2.45 %; in other runs without polish r103_21 stayed on the route elimination's 11.6 % plan),
        fleets unchanged; all 56 at 60 s (the sample above plus the other 36): seed 0 0.93 -> 0.36 % (BKS fleets
        50 -> 50), seed 1 1.09 -> 0.25 % (51 -> 52; rc2 3.13 -> 0.77 %); Solomon, all 56 at 10 s: mean gap 1.77 ->
        1.19 %, BKS fleets 55 -> 54 (R112 10/9, a fleet that flips between runs).
    set_partitioning
        Single-trip problems: every trip of every feasible solution met enters a pool (:mod:`solvers.set_partitioning`,
        the cheapest trip per set of requests), and a set-partitioning MIP (HiGHS) recombines the pool's trips
        into the best plan it can find every ``set_partitioning`` share of the budget (after the route
        elimination) and once more at ``1 - set_partitioning / 2``; a better plan becomes the VNS's current
        solution. A solve is skipped when the pool has not changed, and after a solve that finds nothing better
        the next ones come half as often. ``0`` switches it off. Without a measurable budget (no-improvement
        limit only) it runs every ``sp_iterations`` iterations.
    sp_iterations
        Iterations between two recombinations when the stopping criterion cannot tell how far the run is.
    sp_restart
        After a recombination that finds nothing better, the VNS goes on from the best plan if its current
        solution is infeasible or dearer.
    sp_max_columns
        Largest trip pool (the worst columns per request served are dropped first).
    sp_time_limit
        Seconds one recombination may take at most (also capped by half the share between recombinations under a
        time limit).
    display_interval
        Seconds between two progress lines (logger ``solvers.vns``, level INFO).
    """

    granular: int = 10
    max_segment: int = 3
    shaking: str = "cyclic"
    k_max: int | None = None
    use_local_search: bool = True
    acceptance: str = "sa"
    sa_worse: float = 0.08
    sa_accept_prob: float = 0.5
    sa_iterations: int = 2000
    penalty_init: float = 10.0
    penalty_min: float = 0.5
    penalty_max: float = 5000.0
    penalty_factor: float = 1.2
    amr_decrease: bool = True
    amr_decrease_interval: int = 1
    amr_decrease_backoff: int = 5
    amr_decrease_max_wait: int = 256
    fleet_phase: int = 0
    fleet_penalty: float = 1e6
    station_relocate: str = "off"
    route_elimination: float = 0.3
    re_max_pops: int = 2000
    re_ejections: int = 3
    re_perturb: int = 100
    re_squeeze_weight: float = 1e4
    re_eject_stations: bool = True
    re_attempt_pops: int = 0
    re_pop_order: str = "lifo"
    re_fixed_fleet: bool = False
    re_restart: int = 100
    restart_infeasible: int = 50
    polish_stall: int = 300
    polish_steps: int = 100
    polish_remove: int = 6
    polish_pops: int = 50
    set_partitioning: float = 0.1
    sp_iterations: int = 2000
    sp_max_columns: int = 20000
    sp_restart: bool = True
    sp_time_limit: float = 5.0
    display_interval: float = 5.0

    def __post_init__(self) -> None:
        if self.shaking not in ("cyclic", "remove_reinsert"):
            raise ValueError(f"shaking {self.shaking!r} not understood (cyclic or remove_reinsert).")
        if self.acceptance not in ("sa", "improving"):
            raise ValueError(f"acceptance {self.acceptance!r} not understood (sa or improving).")
        if self.granular < 1 or self.max_segment < 1:
            raise ValueError("granular and max_segment must be >= 1.")
        if not 0 < self.penalty_min <= self.penalty_init <= self.penalty_max or self.penalty_factor <= 1:
            raise ValueError("need 0 < penalty_min <= penalty_init <= penalty_max and penalty_factor > 1.")
        if not 0 < self.sa_accept_prob < 1 or self.sa_worse < 0:
            raise ValueError("need 0 < sa_accept_prob < 1 and sa_worse >= 0.")
        if self.station_relocate not in ("off", "drop", "add", "both"):
            raise ValueError(f"station_relocate {self.station_relocate!r} not understood (off, drop, add, both).")
        if self.fleet_phase < 0:
            raise ValueError("fleet_phase must be >= 0.")
        if not 0 <= self.route_elimination < 1 or self.re_max_pops < 0 or self.re_perturb < 0:
            raise ValueError("need 0 <= route_elimination < 1, re_max_pops >= 0 and re_perturb >= 0.")
        if not 1 <= self.re_ejections <= 3 or self.re_squeeze_weight <= 0 or self.re_restart < 1:
            raise ValueError("re_ejections must be 1, 2 or 3, re_squeeze_weight > 0 and re_restart >= 1.")
        if self.re_attempt_pops < 0:
            raise ValueError("re_attempt_pops must be >= 0.")
        if self.restart_infeasible < 0 or self.polish_stall < 0:
            raise ValueError("restart_infeasible and polish_stall must be >= 0.")
        if self.polish_steps < 1 or self.polish_remove < 1 or self.polish_pops < 1:
            raise ValueError("polish_steps, polish_remove and polish_pops must be >= 1.")
        if self.re_pop_order not in ("lifo", "penalty"):
            raise ValueError(f"re_pop_order {self.re_pop_order!r} not understood (lifo or penalty).")
        if self.k_max is not None and self.k_max < 1:
            raise ValueError("k_max must be >= 1.")
        if not 0 <= self.set_partitioning < 1 or self.sp_iterations < 1 or self.sp_max_columns < 1:
            raise ValueError("need 0 <= set_partitioning < 1, sp_iterations >= 1 and sp_max_columns >= 1.")
        if self.sp_time_limit <= 0:
            raise ValueError("sp_time_limit must be > 0.")

    @property
    def neighbourhoods(self) -> int:
        """Number of shaking neighbourhoods actually used."""
        if self.k_max is not None:
            return self.k_max
        return len(CYCLIC_NEIGHBOURHOODS) if self.shaking == "cyclic" else 5

    def to_dict(self) -> dict[str, Any]:
        """All parameters as a plain dict (TOML-ready except ``None``)."""
        return dataclasses.asdict(self)


@dataclass
class PlanEvaluation:
    """Exact evaluation of a set of trips packed onto AMRs."""

    amrs: list[list[list[int]]]
    feasible: bool
    cost: float
    distance: float
    vehicles: int
    trips: int

    def all_trips(self) -> list[list[int]]:
        """Every trip of the plan, AMR after AMR (node indices without depots)."""
        return [t for amr in self.amrs for t in amr]


@dataclass
class VNSResult:
    """What :func:`vns` returns: the best plan found (as node-index trips per AMR) and the search history.

    ``fleet_phases`` counts the fixed-fleet phases entered (see ``VNSParams.fleet_phase``); ``routes_eliminated``
    the trips removed by the route-elimination phase (see ``VNSParams.route_elimination``); ``recombinations``
    the set-partitioning solves over the trip pool and ``recombinations_improved`` those that found a better plan
    (see ``VNSParams.set_partitioning``); ``amr_decrease_iterations`` the iterations at which an AMR decrease was
    attempted (see ``VNSParams.amr_decrease_backoff``); ``polish_runs`` the fixed-fleet polish bursts and
    ``polish_improved`` the steps they kept (see ``VNSParams.polish_stall``); ``restarts`` the returns to the best
    plan after a long infeasible stretch (see ``VNSParams.restart_infeasible``).
    """

    best: PlanEvaluation | None
    history: dict[str, list] = field(default_factory=dict)
    iterations: int = 0
    runtime: float = 0.0
    moves: int = 0
    fleet_phases: int = 0
    routes_eliminated: int = 0
    recombinations: int = 0
    recombinations_improved: int = 0
    amr_decrease_iterations: list[int] = field(default_factory=list)
    polish_runs: int = 0
    polish_improved: int = 0
    restarts: int = 0


def make_eliminator(search: _Search) -> RouteEliminator:
    """The route eliminator of a single-trip run, with the run's parameters."""
    p = search.params
    return RouteEliminator(search.engine, search.neigh, search.rng, k_max=p.re_ejections,
                           perturb_moves=p.re_perturb, squeeze_weight=p.re_squeeze_weight,
                           max_segment=p.max_segment, eject_stations=p.re_eject_stations,
                           attempt_pops=p.re_attempt_pops, pop_order=p.re_pop_order)


def route_elimination_phase(search: _Search, elim: RouteEliminator, stop, consider) -> tuple[int, int]:
    """First phase of single-trip runs: route-elimination attempts until the fleet bound or the budget is reached.

    ``consider()`` records the engine's solution when it is feasible and better. Returns the trips removed and the
    attempts made.
    """
    p = search.params
    eng = search.engine
    bound = fleet_lower_bound(eng)
    fraction = getattr(stop, "fraction_done", None)
    # an iteration limit does not advance during the phase (it counts VNS iterations): the pops cap applies
    f_start = fraction() if fraction is not None else None

    def done() -> bool:
        f = fraction() if fraction is not None else None
        if f is not None and f >= p.route_elimination:
            return True
        return (f is None or f_start is None or f <= f_start) and elim.stats.pops >= p.re_max_pops

    removed = 0
    weights = eng.weights
    eng.set_weights(*(max(w, 1e4) for w in weights))  # the distance descent between attempts keeps feasibility
    while int((eng.rlen > 0).sum()) > bound and not done():
        if not elim.delete_route(done):
            break
        removed += 1
        search.local_search()
        consider()
        logger.info("route elimination: %d trips after %d pops", int((eng.rlen > 0).sum()), elim.stats.pops)
    eng.set_weights(*weights)
    s = elim.stats
    logger.info("route elimination: %d trips removed (%d attempts, %d restarts, %d pops, %d squeezes, %d ejections, "
                "%d stations ejected)", removed, s.attempts, s.restarts, s.pops, s.squeezes, s.ejections,
                s.station_ejections)
    return removed, elim.stats.attempts


def polish_burst(search: _Search, elim: RouteEliminator, consider, done) -> int:
    """Large-neighbourhood steps at a fixed fleet on the engine's (feasible) solution; returns the improvements.

    Each step takes a random request and its ``polish_remove - 1`` granular neighbours out and puts them back with
    the route elimination's pool machinery (:meth:`RouteEliminator.reinsert`: feasible insertion, squeeze,
    insertion-ejection; no trip opens), then runs the distance descent with large penalty weights; the step is
    kept when the plan is feasible and shorter. On tight fleets (the route elimination's plans) the penalised VNS
    rarely finds a feasible neighbour of the same fleet, and these steps move between feasible plans directly.
    ``done()`` (the budget is used up) ends the burst early.
    """
    p = search.params
    eng = search.engine
    rng = search.rng
    n = eng.n_requests
    if not eng.is_feasible():
        return 0
    weights = eng.weights
    eng.set_weights(*(max(w, 1e4) for w in weights))
    improved = 0
    size = min(p.polish_remove, n)
    for _ in range(p.polish_steps):
        # every step ends on a feasible plan: the kept one, or the one before it (restored)
        if done():
            break
        before = eng.snapshot()
        cost = eng.penalised_cost()
        v = int(rng.integers(1, n + 1))
        requests = [v] + [int(x) for x in search.neigh[v, : size - 1]]
        if elim.reinsert(requests, p.polish_pops):
            search.local_search()
            if eng.is_feasible() and eng.penalised_cost() < cost - 1e-9:
                improved += 1
                consider()
                continue
        eng.restore(before)
    eng.set_weights(*weights)
    return improved


def evaluate_plan(trips: list[list[int]], sim: TripSimulator, tol: float = 1e-6) -> PlanEvaluation:
    """Assign trips to AMRs and evaluate the plan exactly (times, battery, load, fleet).

    With soft time windows and several trips per AMR the trips are packed twice, allowing chained lateness up to
    the fixed cost of an AMR per trip and allowing none (:func:`~solvers.engine.assignment.assign_trips`), and the
    cheaper plan (a feasible one first) is kept.
    """
    plan = _evaluate_groups(trips, assign_trips(trips, sim, tol), sim, tol)
    if sim.soft and sim.arrays.max_trips > 1:
        strict = _evaluate_groups(trips, assign_trips(trips, sim, tol, lateness_cap=0.0), sim, tol)
        if (strict.feasible, -strict.cost) > (plan.feasible, -plan.cost):
            plan = strict
    return plan


def _evaluate_groups(trips: list[list[int]], groups: list[list[int]], sim: TripSimulator,
                     tol: float) -> PlanEvaluation:
    a = sim.arrays
    feasible = len(groups) <= a.max_vehicles
    dist = 0.0
    lateness = 0.0
    for g in groups:
        if len(g) > a.max_trips:
            feasible = False
        t_free = sim.t0
        soc = sim.battery
        for k in g:
            res = sim.run(trips[k], max(sim.t0, t_free), soc)
            dist += res[7]
            lateness += res[T_LCOST]
            if res[T_TIME_VIOL] > tol or res[T_BATT_VIOL] > tol or res[6] > a.capacity + tol:
                feasible = False
            soc = res[T_SOC]
            recharge = 0.0
            if a.depot_charging and math.isfinite(sim.battery):
                recharge = a.recharge_rate * (sim.battery - soc)
                soc = sim.battery
            t_free = res[T_END_Q] + a.depot_turnaround + recharge
    cost = a.fixed_cost * len(groups) + a.cost_per_distance * dist + lateness
    amrs = [[list(trips[k]) for k in g] for g in groups]
    return PlanEvaluation(amrs, bool(feasible), float(cost), float(dist), len(groups), len(trips))


class _Search:
    """State of one VNS run."""

    def __init__(self, arrays: RoutingArrays, params: VNSParams, rng: np.random.Generator):
        self.arrays = arrays
        self.params = params
        self.rng = rng
        p0 = params.penalty_init
        self.engine = RoutingEngine(arrays, weights=(p0, p0, p0))
        self.sim = TripSimulator(arrays, self.engine.node)
        self.neigh = granular_neighbours(arrays, params.granular)
        self.multi = arrays.max_trips > 1
        self.moves = 0
        self.allow_open = True

    def local_search(self) -> None:
        eng = self.engine
        order = self.rng.permutation(np.arange(1, eng.n_requests + 1))
        ops = OP_ALL if self.allow_open else OP_ALL & ~OP_EMPTY
        if self.params.station_relocate in ("drop", "both"):
            ops |= OP_STATION_DROP
        if self.params.station_relocate in ("add", "both"):
            ops |= OP_STATION_ADD
        self.moves += eng.local_search(order, self.neigh, ops, self.params.max_segment)
        if self.multi and depot_insertion(eng):
            self.moves += eng.local_search(order, self.neigh, ops, self.params.max_segment)

    def fleet_terms(self) -> tuple[float, int]:
        """(fleet part of F, AMRs) for the engine's current trips."""
        eng = self.engine
        a = self.arrays
        if not self.multi:
            return 0.0, int((eng.rlen > 0).sum())
        trips = eng.trips()
        n_amrs = len(assign_trips(trips, self.sim))
        extra = a.fixed_cost * n_amrs + self.params.fleet_penalty * max(0, n_amrs - a.max_vehicles)
        return extra, n_amrs

    def objective(self) -> tuple[float, int]:
        """F of the engine's current trips with the current weights, and the AMR count."""
        extra, n_amrs = self.fleet_terms()
        return self.engine.penalised_cost() + extra, n_amrs

    def update_penalties(self) -> None:
        p = self.params
        s = self.engine.summary()
        w = list(self.engine.weights)
        for i, key in enumerate(("load_excess", "time_violation", "battery_violation")):
            w[i] = w[i] * p.penalty_factor if s[key] > 1e-9 else w[i] / p.penalty_factor
            w[i] = min(p.penalty_max, max(p.penalty_min, w[i]))
        self.engine.set_weights(*w)

    def shake(self, k: int) -> None:
        if self.params.shaking == "cyclic":
            cyclic_exchange(self.engine, k, self.rng, allow_empty=self.allow_open)
        else:
            remove_reinsert(self.engine, k, self.rng, allow_empty=self.allow_open)

    def amr_groups(self) -> list[list[int]]:
        """Trip slots per AMR for the engine's current trips."""
        eng = self.engine
        slots = [r for r in range(eng.n_routes) if eng.rlen[r] > 0]
        if not self.multi:
            return [[r] for r in slots]
        groups = assign_trips([eng.trip(r) for r in slots], self.sim)
        return [[slots[k] for k in g] for g in groups]


def vns(
    arrays: RoutingArrays,
    stop,
    rng: np.random.Generator,
    params: VNSParams | None = None,
    initial: list[list[int]] | None = None,
) -> VNSResult:
    """Run the VNS until ``stop(best_cost)`` says so.

    Parameters
    ----------
    arrays
        The problem in array form.
    stop
        A stopping criterion (:mod:`solvers.stop`); called once per iteration with the best feasible cost so far
        (``inf`` while none is known).
    rng
        The only source of randomness.
    params
        Algorithm parameters (defaults of :class:`VNSParams`).
    initial
        Optional initial trips (node indices without depots) instead of the construction heuristic.

    Returns
    -------
    VNSResult
        The best feasible plan (``None`` if none was found) and per-iteration history (``iteration``,
        ``runtime``, ``current_cost``, ``current_feasible``, ``candidate_cost``, ``candidate_feasible``,
        ``best_cost``, ``best_feasible``, ``vehicles``, ``w_capacity``, ``w_time``, ``w_battery``).
    """
    params = params or VNSParams()
    t_start = time.perf_counter()
    begin = getattr(stop, "start", None)
    if begin is not None:
        begin()
    search = _Search(arrays, params, rng)
    eng = search.engine
    if arrays.n_requests == 0:
        return VNSResult(PlanEvaluation([], True, 0.0, 0.0, 0, 0), {}, 0, time.perf_counter() - t_start)
    if initial is not None:
        eng.load(initial)
    else:
        initial_solution(eng, rng)

    history: dict[str, list] = {key: [] for key in (
        "iteration", "runtime", "current_cost", "current_feasible", "candidate_cost", "candidate_feasible",
        "best_cost", "best_feasible", "vehicles", "w_capacity", "w_time", "w_battery")}
    best: PlanEvaluation | None = None
    best_cost = math.inf

    pool = TripPool(arrays.n_requests, params.sp_max_columns) if (
        params.set_partitioning > 0 and not search.multi) else None

    def consider() -> bool:
        """Evaluate the engine's trips exactly; keep them if feasible and better. Returns feasibility."""
        nonlocal best, best_cost
        if not eng.is_feasible():
            return False
        ev = evaluate_plan(eng.trips(), search.sim)
        if ev.feasible and pool is not None:
            for r in np.flatnonzero(eng.rlen > 0):
                pool.add(eng.trip(r), arrays.fixed_cost + arrays.cost_per_distance * eng.rinfo[r, K.R_DIST]
                         + eng.rinfo[r, K.R_LC])
        if ev.feasible and ev.cost < best_cost - 1e-9:
            best, best_cost = ev, ev.cost
        return ev.feasible

    consider()  # the construction is feasible whenever trip slots suffice and no charging is needed
    # feasible operation on the start: descent with large weights (charging insertion, trip splits), then the
    # penalised search proper starts from the initial weights
    weights = eng.weights
    eng.set_weights(*(max(w, 1e4) for w in weights))
    search.local_search()
    consider()
    eng.set_weights(*weights)
    search.local_search()
    consider()
    eliminated = 0
    # route elimination starts from the first feasible solution (at once, or once the VNS has found one)
    # deterministic single-trip problems with hard windows only: with chance constraints the squeeze descent
    # (distance switched off) was seen to stall on stochastic C101
    deterministic = not (np.any(arrays.travel_var > 0) or np.any(arrays.service_var > 0))
    re_pending = (params.route_elimination > 0 and not search.multi and arrays.hard_time_windows
                  and deterministic)
    fixed_fleet = False
    infeasible_for = 0
    elim: RouteEliminator | None = None
    stall_from, stall_cost = 0, math.inf  # iteration since which the best cost has not improved
    polish_runs = polish_improved = restarts = 0
    polish_wait = params.polish_stall  # doubles after a burst that improved nothing

    state: dict[str, Any] = {}

    def take_current() -> None:
        state["trips"] = eng.trips_by_slot()
        state["rinfo"] = eng.rinfo.copy()
        state["rlen"] = eng.rlen.copy()
        state["fleet"], _ = search.fleet_terms()
        state["feasible"] = eng.is_feasible()

    def current_cost() -> float:
        K.recost(state["rinfo"], state["rlen"], eng.par)
        return float(state["rinfo"][state["rlen"] > 0, K.R_COST].sum()) + state["fleet"]

    take_current()
    dist0 = max(eng.summary()["distance"], 1e-9)
    temp0 = -params.sa_worse * dist0 / math.log(params.sa_accept_prob)
    k = 1
    k_max = params.neighbourhoods
    it = 0
    decrease_wait = params.amr_decrease_interval  # iterations from one AMR-decrease attempt to the next
    decrease_from: int | None = None  # best fleet when the last attempt was made
    backoff = params.amr_decrease_backoff > 0 and not search.multi
    decreases: list[int] = []
    use_phase = params.fleet_phase > 0 and not search.multi
    phase_start = -1  # iteration at which the current fixed-fleet phase began (-1: none)
    phase_saved: list[list[int]] = []
    phase_failures = 0
    next_decrease = 0
    n_phases = 0
    last_display = t_start
    fraction_done = getattr(stop, "fraction_done", lambda: None)
    sp_next = None  # budget share (or iteration) of the next recombination
    sp_final = 1.0 - params.set_partitioning / 2
    sp_runs = sp_improved = 0
    sp_changes = -1  # the pool's change count at the last recombination
    sp_skip = 1  # recombination points to let pass (doubles after each recombination that found nothing)
    sp_wait = 0
    sp_final_done = False

    def recombine(frac: float | None, final: bool = False) -> None:
        """Set partitioning over the trip pool; a better plan becomes the best and the current solution.

        Skipped when the pool has not changed since the last solve; after a solve that finds nothing better,
        the next ones come half as often (on long trips, as on E-VRPTW type-2 instances, the pool rarely
        recombines and the solves would only take time from the VNS).
        """
        nonlocal sp_runs, sp_improved, sp_changes, sp_skip, sp_wait
        if pool.changes == sp_changes:
            return
        sp_wait += 1
        if sp_wait < sp_skip and not final:
            return
        sp_wait = 0
        sp_changes = pool.changes
        limit = params.sp_time_limit
        total = getattr(stop, "max_runtime", None)
        if total is not None and frac is not None:
            # half a share between two solves, and never past the end of the run
            limit = min(limit, total * params.set_partitioning / 2, 0.9 * total * (1.0 - frac))
            limit = max(limit, 0.01)
        incumbent = best.all_trips()
        pool.trim(incumbent)
        res = pool.recombine(min(arrays.max_vehicles, best.vehicles), incumbent, time_limit=limit,
                             fixed_cost=arrays.fixed_cost)
        sp_runs += 1
        logger.info("set partitioning: %d columns, %s, %.2fs, %s", res.columns, res.status, res.runtime,
                    "no better plan" if res.trips is None else f"cost {best_cost:.2f} -> {res.cost:.2f}")
        if res.trips is not None:
            eng.load(res.trips)
            if consider():
                sp_improved += 1
                sp_skip = 1
                take_current()
                return
        sp_skip *= 2
        if params.sp_restart and (not state["feasible"] or current_cost() > best_cost + 1e-9):
            # the VNS wandered off (typically to a larger fleet after the route elimination): go on from the best
            eng.load(incumbent)  # best is unchanged: the solve found nothing better
            take_current()

    while not stop(best_cost):
        if pool is not None and best is not None and not re_pending and not sp_final_done:
            frac = fraction_done()
            if sp_next is None:
                sp_next = (frac + params.set_partitioning) if frac is not None else it + params.sp_iterations
            elif frac is not None and frac >= min(sp_next, sp_final):
                sp_final_done = frac >= sp_final
                recombine(frac, sp_final_done)
                sp_next = frac + params.set_partitioning
            elif frac is None and it >= sp_next:
                recombine(None)
                sp_next = it + params.sp_iterations
        if re_pending and best is not None:
            re_pending = False
            eng.load(best.all_trips())
            elim = make_eliminator(search)
            eliminated, attempts = route_elimination_phase(search, elim, stop, consider)
            if params.re_fixed_fleet and attempts > 0:
                # the route elimination owns the fleet: the VNS keeps it and minimises the distance
                fixed_fleet = True
                search.allow_open = False
            take_current()
        if best_cost < stall_cost - 1e-9:
            stall_from, stall_cost = it, best_cost
        if elim is not None and 0 < polish_wait <= it - stall_from:
            eng.load(best.all_trips())
            t_polish = time.perf_counter()
            gained = polish_burst(search, elim, consider, lambda: (fraction_done() or 0.0) >= 1.0)
            polish_runs += 1
            polish_improved += gained
            polish_wait = params.polish_stall if gained else 2 * polish_wait
            logger.info("polish at it %d: %d of %d steps kept in %.2fs, best %.2f", it, gained, params.polish_steps,
                        time.perf_counter() - t_polish, best_cost)
            take_current()
            stall_from = it
        it += 1
        eng.load_slots(state["trips"])
        search.shake(k)
        if params.use_local_search:
            search.local_search()
        elif search.multi:
            depot_insertion(eng)
        cand_cost, n_amrs = search.objective()
        cand_trips_ok = eng.is_feasible()  # every trip feasible (the fleet may still be too large)
        cand_feasible = consider()
        cur_cost = current_cost()
        accept = cand_cost < cur_cost - 1e-9
        if not accept and params.acceptance == "sa":
            frac = getattr(stop, "fraction_done", lambda: None)()
            if frac is None:
                frac = min(1.0, it / max(1, params.sa_iterations))
            temp = temp0 * (1.0 - frac)
            if temp > 0 and rng.random() < math.exp(-(cand_cost - cur_cost) / temp):
                accept = True
        k = 1 if accept else k % k_max + 1
        search.update_penalties()
        if phase_start >= 0:
            if cand_trips_ok:
                # the reduced fleet is repaired: trips may open again, the next decrease may follow
                phase_start = -1
                phase_failures = 0
                search.allow_open = True
                accept = True
            elif it - phase_start >= params.fleet_phase:
                # give up: back to the feasible solution before the decrease
                phase_start = -1
                phase_failures += 1
                next_decrease = it + params.fleet_phase * phase_failures
                search.allow_open = True
                eng.load_slots(phase_saved)
                take_current()
                accept = False
                cur_cost = current_cost()
        if accept:
            if (params.amr_decrease and not fixed_fleet and cand_trips_ok
                    and (not decreases or it - decreases[-1] >= decrease_wait)
                    and it >= next_decrease and phase_start < 0):
                # AMR decrease on a feasible current solution; the penalised search then repairs it (or the LS
                # reopens a trip when the penalties outgrow the fixed cost)
                saved = eng.trips_by_slot()
                decreases.append(it)
                if backoff and best is not None and best.vehicles <= params.amr_decrease_backoff:
                    if decrease_from is not None and best.vehicles >= decrease_from:
                        decrease_wait = min(2 * decrease_wait, max(params.amr_decrease_max_wait,
                                                                    params.amr_decrease_interval))
                    else:
                        decrease_wait = params.amr_decrease_interval
                    decrease_from = best.vehicles
                groups = search.amr_groups()
                if use_phase:
                    search.allow_open = False
                if len(groups) > 1 and amr_decrease(eng, rng, groups, new_trips=search.multi):
                    search.local_search()
                    consider()
                    if search.multi and search.objective()[0] >= cand_cost:
                        # multi-trip: keep the decrease only if F improves (spec 2.6), else restore
                        eng.load_slots(saved)
                    if use_phase and not eng.is_feasible():
                        phase_start = it
                        phase_saved = saved
                        n_phases += 1
                if phase_start < 0:
                    search.allow_open = True
            take_current()
            cur_cost = current_cost()
        restart_after = params.re_restart if fixed_fleet else params.restart_infeasible
        if restart_after > 0 and not search.multi and best is not None:
            # an infeasible current solution with fewer trips than the best plan is an AMR decrease under repair
            # (it may take long); one with as many or more trips is stuck next to a tight plan
            stuck = not state["feasible"] and (fixed_fleet or int((state["rlen"] > 0).sum()) >= best.vehicles)
            infeasible_for = infeasible_for + 1 if stuck else 0
            if infeasible_for >= restart_after:
                # back to the best plan with the initial weights
                infeasible_for = 0
                restarts += 1
                eng.load(best.all_trips())
                eng.set_weights(params.penalty_init, params.penalty_init, params.penalty_init)
                take_current()
                cur_cost = current_cost()
        history["iteration"].append(it)
        history["runtime"].append(time.perf_counter() - t_start)
        history["current_cost"].append(cur_cost)
        history["current_feasible"].append(bool(state["feasible"]))
        history["candidate_cost"].append(cand_cost)
        history["candidate_feasible"].append(bool(cand_feasible))
        history["best_cost"].append(best_cost)
        history["best_feasible"].append(best is not None)
        history["vehicles"].append(best.vehicles if best is not None else n_amrs)
        w = eng.weights
        history["w_capacity"].append(w[0])
        history["w_time"].append(w[1])
        history["w_battery"].append(w[2])
        now = time.perf_counter()
        if now - last_display >= params.display_interval:
            last_display = now
            logger.info(
                "it %6d  %7.1fs  best %s  AMRs %s  current %.2f%s",
                it, now - t_start, f"{best_cost:.2f}" if best else "-",
                best.vehicles if best else "-", cur_cost, "" if state["feasible"] else " (infeasible)",
            )
    runtime = time.perf_counter() - t_start
    logger.info("VNS done: %d iterations in %.1fs, best %s%s", it, runtime,
                f"{best_cost:.2f}" if best else "INFEASIBLE",
                f" ({sp_runs} set-partitioning solves, {sp_improved} improved; {len(pool)} trips pooled)"
                if pool is not None else "")
    return VNSResult(best, history, it, runtime, search.moves, n_phases, eliminated, sp_runs, sp_improved,
                     decreases, polish_runs, polish_improved, restarts)
