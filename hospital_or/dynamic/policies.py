"""Stage-2 policies (spec 3.4): event-driven cheapest insertion with priority decision rules.

They implement the simulator's policy protocol (:mod:`hospital_or.simulation.policy`). On the reveal of request
``j`` (priority ``p``) at time ``t``:

- ``C_ins``: the cheapest feasible insertion into the *pending* part of an AMR that is not idle (the rest of its
  current trip after the committed target, a planned trip that has not left yet, one of its later trips, or a new
  trip appended after its last one when ``max_trips`` allows); priced by :mod:`solvers.insertion` on the engine
  kernels as ``c_t Delta dist + sum_i w_{p_i} Delta (S_i - l_i)^+ + w_b Delta busy`` over the AMR's whole
  pending day (later trips included); feasible = no added load, horizon or battery violation. ``busy`` is the
  time the AMR is out (the rest of its trip, and each trip from the depot from its earliest departure, waits
  included), priced at ``w_b = busy_share * c_p / day length``: AMR time is what later requests need, so a
  request goes where it uses the least of it (into a wait on a route rather than onto an idle AMR that would
  wait hours for its window), and the repair below keeps the pending parts compact in time;
- ``C_new``: dispatch an idle AMR (at the depot, nothing pending, trips left) on a new trip ``[j]``;
- ``greedy``: take the cheapest of the two; reject only when nothing is feasible;
- ``rules``: an idle AMR may take the request only if ``I(t) > r_p`` (reservation / safety stock; ``r_1 = 0``),
  where ``I(t)`` counts the AMRs at the depot that have not left on their (last) trip -- spec 3.4's "``M`` minus
  the AMRs on a trip": with lazy departures an AMR whose planned trip has not started is still available; reject
  when the cheapest allowed option costs at least ``Lambda_p`` or nothing is feasible -- unless (``bump``, on by
  default) the request can take the place of a pending request of lower priority for less than ``Lambda_p``
  (chain change + the bumped request's denial loss); the bumped request is put back elsewhere when an allowed
  option costs less than its own ``Lambda``, and denied otherwise (priority preemption; committed requests are
  never bumped);
- ``rules+reopt``: ``rules`` plus a periodic ruin-and-recreate re-optimisation of the pending parts of all AMRs
  (:class:`RulesReoptPolicy`).

Waiting strategy: every planned trip that has not started leaves ``departure_slack_share`` of its time slack late
(share 1: the *lazy* start, the latest departure that adds no lateness, :func:`solvers.insertion.lazy_starts`), so
AMRs wait at the depot, where their whole trip stays open to insertions, and keep the rest of the slack as waiting
time on the route, where later insertions can use it; the stage-1 plan is run the same way (:func:`lazy_plan`).

Repair (``params.repair``, all policies; spec 3.4's optional repair): after every accepted request, and before any
denial, a relocate descent moves single pending requests between the pending parts when that lowers the total
cost (a denied request is priced again after it). If the request would still be denied, ``params.make_room``
ruin-and-recreate attempts around it (:meth:`InsertionPolicy._make_room`: take out some of its nearest pending
requests, insert it, put them back) look for a rearrangement of the pending parts that serves it for less than its
denial loss (``rules``; any feasible one for ``greedy``); with ``params.make_room_deny`` (``rules``) an attempt may
deny removed requests of lower priority that no longer fit, their losses added to its cost. With
``params.repair_ruin = k > 0`` the repair also runs ``k`` ruin-and-recreate steps of the ``rules+reopt`` search over
the pending parts (then relocates again). The time of all of them is kept in ``reopt_times`` (re-optimisation time,
reported separately); the insertion decision is timed on its own (``decision_times``).

The committed prefixes are never touched: decisions only replace :class:`PendingPlan` objects, which the simulator
validates. Each ``on_reveal`` of a request that is not already planned is timed (``decision_times``, seconds).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from hospital_or.dynamic.params import DynamicParams
from hospital_or.simulation.policy import (
    NO_CHANGE,
    POLICIES,
    AMRView,
    BasePolicy,
    Decision,
    PendingPlan,
    SimState,
)
from hospital_or.solution import Trip
from solvers.insertion import ChainEvaluator

__all__ = [
    "DYNAMIC_POLICIES",
    "DecisionRecord",
    "GreedyPolicy",
    "InsertionPolicy",
    "RulesPolicy",
    "RulesReoptPolicy",
    "lazy_plan",
    "make_dynamic",
]


#: A pending request is exchanged (repair exchange pass) only with this many of its nearest pending requests.
SWAP_NEIGHBOURS = 5


@dataclass(frozen=True)
class DecisionRecord:
    """One stage-2 decision: ``action`` is ``"insert"``, ``"new"``, ``"reject"``, ``"room"`` (served after pending
    requests were moved out of its way, ``cost`` = the increase of the pending parts' cost) or ``"bump"`` (inserted
    in place of a pending lower-priority request, which was put back elsewhere or denied)."""

    time: float
    request: str
    priority: int
    action: str
    amr: int
    cost: float
    idle: int
    seconds: float


class _Chains:
    """The pending chains of all AMRs in the arrays of :mod:`solvers.insertion`."""

    def __init__(self, n_amrs: int, length: int, trips: int):
        self.seqs = np.zeros((n_amrs, length), dtype=np.int64)
        self.n_seq = np.zeros(n_amrs, dtype=np.int64)
        self.starts = np.zeros((n_amrs, trips))
        self.in_trip = np.zeros(n_amrs, dtype=np.bool_)
        self.last = np.zeros(n_amrs, dtype=np.int64)
        self.t_dep = np.zeros(n_amrs)
        self.load0 = np.zeros(n_amrs)
        self.es0 = np.zeros(n_amrs)
        self.allow_new = np.zeros(n_amrs, dtype=np.bool_)
        self.idle = np.zeros(n_amrs, dtype=np.bool_)
        self.at_depot = np.zeros(n_amrs, dtype=np.bool_)
        self.trips = np.zeros(n_amrs, dtype=np.int64)
        self.max_trips = trips


def _plan_from_chain(seq: list[int], in_trip: bool, starts, ids: tuple[str, ...], now: float) -> PendingPlan:
    """A :class:`PendingPlan` from a chain (``0`` closes a trip) and the starts of its depot-starting trips."""
    segments: list[list[str]] = [[]]
    for x in seq:
        if x == 0:
            segments.append([])
        else:
            segments[-1].append(ids[x])
    segments.pop()  # the chain ends with a 0
    rest = segments.pop(0) if in_trip else []
    trips = tuple(Trip(tuple(t), max(float(s), now)) for t, s in zip(segments, starts, strict=True))
    return PendingPlan(tuple(rest), trips)


class InsertionPolicy(BasePolicy):
    """Cheapest insertion with optional decision rules (base of ``greedy`` and ``rules``).

    Parameters
    ----------
    params
        Cost model and decision rules (``safety_stock`` and ``reservation`` set the thresholds ``r_p``).
    rules
        Apply the reservation thresholds and the denial test (False: greedy).
    """

    name = "insertion"

    def __init__(self, params: DynamicParams | None = None, rules: bool = True,
                 rng: np.random.Generator | None = None):
        self.params = params or DynamicParams()
        self.rules = rules
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.reservation = self.params.effective_reservation() if rules else (0, 0, 0)
        self.decisions: list[DecisionRecord] = []
        self.reopt_times: list[float] = []
        self.reopt_moves = 0
        self.max_passes = 50  # passes of one relocate descent (a move-count cap keeps runs reproducible)
        self._problem = None
        self._eval: ChainEvaluator | None = None

    # ------------------------------------------------------------------ set-up
    def _prepare(self, state: SimState) -> None:
        problem = state.problem
        if self._problem is problem:
            return
        self._problem = problem
        arrays = problem.to_arrays()
        day = float(arrays.due[0] - arrays.ready[0])
        # AMR time is priced as a share of the purchase cost per unit of the day (spec 3.4's insertion cost is
        # distance and lateness; this keeps busy time, and so room for later requests, in the balance)
        busy_price = self.params.busy_share * float(arrays.fixed_cost) / day if day > 0 else 0.0
        self._eval = ChainEvaluator(arrays, duration_weight=busy_price)
        self._eval.warm_up()
        self._index = problem.node_index
        self._ids = problem.node_ids
        self._demand = arrays.demand
        self._priority = arrays.priority
        self._energy = arrays.energy
        self._is_station = arrays.is_station
        self._battery = float(arrays.battery_capacity)
        self._recharge_rate = float(arrays.recharge_rate)
        n_nodes = arrays.distance.shape[0]
        self._length = 2 * n_nodes + 4 * max(1, problem.fleet.max_trips) + 8

    @property
    def decision_times(self) -> list[float]:
        """Seconds spent in each timed decision."""
        return [d.seconds for d in self.decisions]

    def _chains(self, state: SimState, views: tuple[AMRView, ...]) -> _Chains:
        idx = self._index
        max_trips = state.problem.fleet.max_trips
        depot = self._ids[0]
        n_trips = 2 + max(max_trips, *(len(v.pending.trips) for v in views))
        ch = _Chains(len(views), self._length, n_trips)
        ch.max_trips = max_trips
        ev = self._eval
        battery = math.isfinite(self._battery)
        for a, v in enumerate(views):
            seq: list[int] = []
            committed_trips = v.trip
            if v.on_trip and v.target != depot:
                target = idx[v.target] if v.target is not None else idx[v.position]
                ch.in_trip[a] = True
                ch.last[a] = target
                ch.t_dep[a] = max(v.free_at, state.time)
                rest = [idx[x] for x in v.pending.rest_of_trip]
                ch.load0[a] = v.trip_load - sum(self._demand[x] for x in rest)
                if battery and not self._is_station[target]:
                    ch.es0[a] = max(0.0, self._battery - v.soc)
                seq += rest
                seq.append(0)
            else:
                ch.last[a] = 0
                t = max(v.free_at, state.time)
                if v.on_trip:  # returning to the depot: turnaround (+ recharge) before the next trip
                    t += ev.turnaround
                    if ev.depot_charging:
                        t += self._recharge_rate * max(0.0, self._battery - v.soc)
                ch.t_dep[a] = t
            for trip in v.pending.trips:
                # pending trips are re-timed lazily after every change: evaluate them from the earliest departure
                seq += [idx[x] for x in trip.visits]
                seq.append(0)
            ch.n_seq[a] = len(seq)
            ch.seqs[a, : len(seq)] = seq
            planned_trips = committed_trips + len(v.pending.trips)
            ch.allow_new[a] = planned_trips < max_trips
            ch.trips[a] = planned_trips
            ch.idle[a] = (not v.on_trip) and v.pending.is_empty and planned_trips < max_trips
            # spec 3.4's I(t): at the depot and not on a trip (a planned trip that has not left yet counts: with
            # lazy departures the AMR is still available), with a trip left to start
            ch.at_depot[a] = (not v.on_trip) and committed_trips < max_trips
        return ch

    def _set_seq(self, ch: _Chains, a: int, seq: list[int]) -> None:
        ch.seqs[a, :] = 0
        ch.seqs[a, : len(seq)] = seq
        ch.n_seq[a] = len(seq)

    def _insert(self, ch: _Chains, a: int, pos: int, v: int) -> None:
        """Put node ``v`` at chain position ``pos`` of AMR ``a`` (``n_seq`` = a new trip at the end)."""
        seq = [int(x) for x in ch.seqs[a, : ch.n_seq[a]]]
        if pos >= len(seq):
            seq += [v, 0]
        else:
            seq.insert(pos, v)
        self._set_seq(ch, a, seq)

    def _plan_for(self, ch: _Chains, a: int, now: float) -> PendingPlan:
        """The pending plan of AMR ``a`` from its chain, the last trip leaving at its lazy start
        (:func:`solvers.insertion.lazy_starts`)."""
        seq = [int(x) for x in ch.seqs[a, : ch.n_seq[a]]]
        in_trip = bool(ch.in_trip[a])
        starts = self._eval.lazy_starts(seq, in_trip, int(ch.last[a]), float(ch.t_dep[a]), float(ch.load0[a]),
                                        float(ch.es0[a]), self.params.departure_slack_share)
        return _plan_from_chain(seq, in_trip, starts, self._ids, now)

    def _before_insertion(self, state: SimState, ch: _Chains) -> set[int]:
        """Hook run before each insertion decision; returns the AMRs whose chains it changed (none here)."""
        return set()

    def _best_option(self, ch: _Chains, j: int, p: int, now: float) -> tuple[float, int, int, int]:
        """Cheapest allowed option for node ``j``: ``(cost, amr, position, idle count)``; ``amr = -1`` if none."""
        delta, pos = self._eval.best_insertions(j, now, ch.seqs, ch.n_seq, ch.starts, ch.in_trip, ch.last,
                                                ch.t_dep, ch.load0, ch.es0, ch.allow_new)
        idle_count = int(ch.at_depot.sum())
        best_ins, best_new = (math.inf, -1), (math.inf, -1)
        for a in range(len(delta)):
            if pos[a] < 0:
                continue
            if ch.idle[a]:
                if delta[a] < best_new[0]:
                    best_new = (float(delta[a]), a)
            elif delta[a] < best_ins[0]:
                best_ins = (float(delta[a]), a)
        options = [(best_ins[0], best_ins[0], best_ins[1])]
        if best_new[1] >= 0 and idle_count > self.reservation[p - 1]:  # I(t) > r_p: an idle AMR may take it
            options.append((best_new[0], best_new[0], best_new[1]))
        _, cost, amr = min(options)
        return cost, amr, (int(pos[amr]) if amr >= 0 else -1), idle_count

    def _apply_insertion(self, ch: _Chains, a: int, pos: int, j: int) -> None:
        """Insert node ``j`` at chain position ``pos`` of AMR ``a`` and update its status (no longer idle)."""
        if pos >= ch.n_seq[a]:
            ch.trips[a] += 1
            ch.allow_new[a] = ch.trips[a] < ch.max_trips
        self._insert(ch, a, pos, j)
        ch.idle[a] = False

    def _repair(self, ch: _Chains) -> set[int]:
        """Relocate descent over the pending parts (when ``params.repair``); its time goes to ``reopt_times``."""
        if not self.params.repair:
            return set()
        tic = time.perf_counter()
        deadline = tic + self.params.reopt_seconds
        changed = self._relocate_descent(ch, deadline)
        if self.params.repair_ruin > 0:
            ruined = self._ruin_recreate(ch, deadline, self.params.repair_ruin)
            if ruined:
                changed |= ruined | self._relocate_descent(ch, deadline)
        self.reopt_times.append(time.perf_counter() - tic)
        return changed

    def _ruin_recreate(self, ch: _Chains, deadline: float, iterations: int) -> set[int]:
        """``iterations`` ruin-and-recreate steps over the pending parts (see :class:`RulesReoptPolicy`); a step is
        kept when the total cost falls without adding violation. Returns the AMRs whose chains changed."""
        changed: set[int] = set()
        allow = np.zeros_like(ch.allow_new)
        usable = ~ch.idle
        amrs = [a for a in range(ch.seqs.shape[0]) if usable[a]]
        D = self._eval.D
        for _ in range(iterations):
            if time.perf_counter() >= deadline:
                break
            pending = self._pending_requests(ch)
            if len(pending) < 2:
                break
            seed_node = pending[int(self.rng.integers(len(pending)))][0]
            k = int(self.rng.integers(2, min(8, len(pending)) + 1))
            nodes = sorted(pending, key=lambda x: (D[seed_node, x[0]], x[0]))[:k]
            saved = (ch.seqs.copy(), ch.n_seq.copy())
            before = self._total(ch, amrs)
            touched = {a for _, a in nodes}
            for u, a in nodes:
                self._remove(ch, a, u)
            ok = self._reinsert(ch, [(nodes[int(i)][0], 0.0) for i in self.rng.permutation(k)], usable, allow,
                                touched)
            after = self._total(ch, amrs) if ok else (math.inf, math.inf)
            if ok and after[0] < before[0] - 1e-6 and after[1] <= before[1] + 1e-6:
                changed |= touched
                self.reopt_moves += 1
            else:
                ch.seqs[:], ch.n_seq[:] = saved
        return changed

    # ------------------------------------------------------------------ protocol
    def on_reveal(self, state: SimState, request: str) -> Decision:
        """Insert, dispatch or reject ``request`` (see the module docstring)."""
        if state.owner(request) is not None:
            return NO_CHANGE
        if request in state.plan_rejected:
            return Decision(reject=(request,))
        self._prepare(state)  # once per run (compiles the kernels): not part of the decision time
        problem = state.problem
        j = self._index[request]
        p = int(self._priority[j])
        now = state.time
        ch = self._chains(state, state.amrs)
        changed = self._before_insertion(state, ch)
        tic = time.perf_counter()
        cost, amr, pos, idle_count = self._best_option(ch, j, p, now)
        seconds = time.perf_counter() - tic
        denial = self.params.denial_costs[p - 1] if problem.rejection_costs is None else problem.rejection_costs[p - 1]
        if amr < 0 or (self.rules and cost >= denial):
            # last resort before a denial: re-optimise the pending parts, then price the request again
            repaired = self._repair(ch)
            if repaired:
                changed |= repaired
                tic = time.perf_counter()
                cost, amr, pos, idle_count = self._best_option(ch, j, p, now)
                seconds += time.perf_counter() - tic
        reject = amr < 0 or (self.rules and cost >= denial)
        if reject and self.params.make_room > 0:
            # still a denial: free room around j by ruin and recreate of its nearest pending requests
            tic = time.perf_counter()
            room = self._make_room(ch, j, p, denial if self.rules else math.inf, now)
            self.reopt_times.append(time.perf_counter() - tic)
            room_denied: list[int] = []
            if room is not None:
                cost, touched, room_denied = room
                changed |= touched
                reject = False
                amr, pos = -1, -1
        bump = None
        if reject and self.rules and self.params.bump and problem.rejection_costs is not None:
            tic = time.perf_counter()
            bump = self._best_bump(ch, j, p, denial, now)
            seconds += time.perf_counter() - tic
        if bump is not None:
            # priority preemption: j takes the place of a pending lower-priority request u, which is put back
            # elsewhere when an allowed option costs less than its denial loss, and denied otherwise
            cost, amr, u, pos = bump
            self._remove(ch, amr, u)
            self._apply_insertion(ch, amr, pos, j)
            changed.add(amr)
            pu = int(self._priority[u])
            cost_u, amr_u, pos_u, _ = self._best_option(ch, u, pu, now)
            if amr_u >= 0 and cost_u < problem.rejection_costs[pu - 1]:
                self._apply_insertion(ch, amr_u, pos_u, u)
                changed.add(amr_u)
                rejected = ()
            else:
                rejected = (self._ids[u],)
            changed |= self._repair(ch)
            action = "bump"
        elif reject:
            rejected = (request,) if problem.rejection_costs is not None else ()
            action = "reject"
        elif amr < 0:  # served after _make_room rearranged the pending parts (and denied lower-priority requests)
            action = "room"
            changed |= self._repair(ch)
            rejected = tuple(self._ids[u] for u in room_denied)
        else:
            action = "new" if ch.idle[amr] else "insert"
            self._apply_insertion(ch, amr, pos, j)
            changed.add(amr)
            changed |= self._repair(ch)  # spec 3.4: relocate repair of the non-committed parts after the move
            rejected = ()
        decision = Decision(plans={a: self._plan_for(ch, a, now) for a in sorted(changed)}, reject=rejected)
        self.decisions.append(DecisionRecord(now, request, p, action, amr, cost, idle_count, seconds))
        return decision

    def _remove(self, ch: _Chains, a: int, u: int) -> None:
        """Take node ``u`` out of AMR ``a``'s chain; a depot trip left empty is dropped."""
        seq = [int(x) for x in ch.seqs[a, : ch.n_seq[a]]]
        q = seq.index(u)
        if q < len(seq) - 1 and seq[q + 1] == 0 and (q == 0 or seq[q - 1] == 0) and not (q == 0 and ch.in_trip[a]):
            del seq[q : q + 2]
        else:
            del seq[q]
        self._set_seq(ch, a, seq)

    def _best_bump(self, ch: _Chains, j: int, p: int, denial: float,
                   now: float) -> tuple[float, int, int, int] | None:
        """Cheapest way to serve ``j`` in place of a pending request ``u`` of lower priority (``p_u > p``).

        Net cost = the chain's cost change (``u`` out, ``j`` in at its cheapest feasible position) plus ``u``'s
        denial loss; returns ``(net cost, amr, u, position)`` of the best option cheaper than ``j``'s own denial
        loss ``denial``, or ``None``. Only pending (uncommitted) requests are considered.
        """
        if p >= 3:
            return None
        best = None
        losses = self._problem.rejection_costs
        for a in range(ch.seqs.shape[0]):
            if ch.idle[a] or ch.n_seq[a] == 0:
                continue
            seq = [int(x) for x in ch.seqs[a, : ch.n_seq[a]]]
            base_cost, base_viol = self._chain_cost(ch, a)
            for u in seq:
                if u == 0 or self._is_station[u] or int(self._priority[u]) <= p:
                    continue
                self._remove(ch, a, u)
                cost_wo, viol_wo = self._chain_cost(ch, a)
                sl = slice(a, a + 1)
                delta, pos = self._eval.best_insertions(j, now, ch.seqs[sl], ch.n_seq[sl], ch.starts[sl],
                                                        ch.in_trip[sl], ch.last[sl], ch.t_dep[sl], ch.load0[sl],
                                                        ch.es0[sl], ch.allow_new[sl])
                self._set_seq(ch, a, seq)
                if pos[0] < 0 or viol_wo > base_viol + 1e-6:
                    continue
                net = cost_wo + float(delta[0]) - base_cost + float(losses[int(self._priority[u]) - 1])
                if net < denial and (best is None or net < best[0]):
                    best = (net, a, u, int(pos[0]))
        return best

    def _make_room(self, ch: _Chains, j: int, p: int, limit: float,
                   now: float) -> tuple[float, set[int], list[int]] | None:
        """Serve ``j`` by moving pending requests out of its way (ruin and recreate around ``j``).

        ``params.make_room`` times: take out ``k`` (1 to 6) pending requests drawn among the ``2k`` nearest to
        ``j``, insert ``j`` at its cheapest feasible position of a non-idle AMR, then put the removed requests back
        one by one, in random order, at their cheapest feasible positions (no idle AMR, no new trip). With
        ``params.make_room_deny`` (``rules`` only), a removed request of lower priority than ``j`` that no longer
        fits is denied instead, its loss ``Lambda`` added to the attempt's cost (priority preemption of several
        requests at once, the generalisation of ``bump``). Of the attempts that place ``j`` without adding
        violation, the one with the smallest cost (increase + the losses of the requests it denies) is kept when
        that cost (at least 0) is below ``limit`` (``j``'s denial loss); the chains are left unchanged otherwise.
        Returns the cost, the AMRs whose chains changed and the denied nodes, or ``None``.
        """
        usable = ~ch.idle
        amrs = [a for a in range(ch.seqs.shape[0]) if usable[a]]
        pending = self._pending_requests(ch)
        if not amrs:
            return None
        D = self._eval.D
        allow = np.zeros_like(ch.allow_new)
        order = sorted(pending, key=lambda x: (D[j, x[0]] + D[x[0], j], x[0]))
        saved = (ch.seqs.copy(), ch.n_seq.copy())
        before = self._total(ch, amrs)
        losses = self._problem.rejection_costs if self._problem is not None else None
        deny = self.rules and self.params.make_room_deny and losses is not None
        deniable = (lambda u: int(self._priority[u]) > p) if deny else None
        best: tuple[float, np.ndarray, np.ndarray, set[int], list[int]] | None = None
        for _ in range(self.params.make_room):
            k = int(self.rng.integers(1, min(6, len(order)) + 1)) if order else 0
            pool = order[: 2 * k]
            picks = [pool[int(i)] for i in self.rng.choice(len(pool), size=k, replace=False)] if k else []
            touched = {a for _, a in picks}
            for u, a in picks:
                self._remove(ch, a, u)
            order_in = [(j, now)] + [(picks[int(i)][0], 0.0) for i in self.rng.permutation(k)]
            denied: list[int] = []
            if self._reinsert(ch, order_in, usable, allow, touched, deniable, denied):
                after = self._total(ch, amrs)
                loss = float(sum(losses[int(self._priority[u]) - 1] for u in denied)) if denied else 0.0
                increase = after[0] - before[0] + loss
                # an attempt that also improves the other requests makes j free, not a gain: the denial test
                # compares max(increase, 0) with j's loss, as it compares the (non-negative) insertion cost
                if after[1] <= before[1] + 1e-6 and max(increase, 0.0) < limit and (
                        best is None or increase < best[0]):
                    best = (increase, ch.seqs.copy(), ch.n_seq.copy(), touched, list(denied))
            ch.seqs[:], ch.n_seq[:] = saved
        if best is None:
            return None
        ch.seqs[:], ch.n_seq[:] = best[1], best[2]
        self.reopt_moves += 1
        return best[0], best[3], best[4]

    def _reinsert(self, ch: _Chains, nodes: list[tuple[int, float]], usable: np.ndarray, allow: np.ndarray,
                  touched: set[int], deniable=None, denied: list[int] | None = None) -> bool:
        """Insert each ``(node, not before)`` in turn at its cheapest feasible position of a ``usable`` AMR (new trips
        where ``allow``), adding the AMRs used to ``touched``; False (chains partly rebuilt) when one does not fit,
        unless ``deniable(node)`` is true: then it is appended to ``denied`` and left out."""
        for u, earliest in nodes:
            delta, pos = self._eval.best_insertions(u, earliest, ch.seqs, ch.n_seq, ch.starts, ch.in_trip, ch.last,
                                                    ch.t_dep, ch.load0, ch.es0, allow)
            delta = np.where(usable & (pos >= 0), delta, np.inf)
            b = int(np.argmin(delta))
            if not math.isfinite(delta[b]):
                if deniable is not None and denied is not None and deniable(u):
                    denied.append(u)
                    continue
                return False
            self._insert(ch, b, int(pos[b]), u)
            touched.add(b)
        return True

    def _pending_requests(self, ch: _Chains) -> list[tuple[int, int]]:
        """``(node, amr)`` of every pending request of the non-idle AMRs."""
        return [(int(u), a) for a in range(ch.seqs.shape[0]) if not ch.idle[a]
                for u in ch.seqs[a, : ch.n_seq[a]] if u != 0 and not self._is_station[u]]

    def _total(self, ch: _Chains, amrs) -> tuple[float, float]:
        cost = viol = 0.0
        for a in amrs:
            c, v = self._chain_cost(ch, a)
            cost += c
            viol += v
        return cost, viol

    def _chain_cost(self, ch: _Chains, a: int) -> tuple[float, float]:
        r = self._eval.evaluate(ch.seqs[a, : ch.n_seq[a]], ch.starts[a], bool(ch.in_trip[a]), int(ch.last[a]),
                                float(ch.t_dep[a]), float(ch.load0[a]), float(ch.es0[a]))
        return r["cost"], r["violation"]

    def _keep_if_better(self, ch: _Chains, new: dict[int, list[int]], old: dict[int, list[int]], cost: float,
                        viol: float) -> bool:
        """Write the chains ``new`` (AMR -> node sequence); keep them when their summed cost is below ``cost`` (the
        same AMRs' cost before) without more violation than ``viol``, else write ``old`` back. True if kept."""
        for a, seq in new.items():
            self._set_seq(ch, a, seq)
        n_cost, n_viol = self._total(ch, new)
        if n_cost < cost - 1e-6 and n_viol <= viol + 1e-6:
            return True
        for a, seq in old.items():
            self._set_seq(ch, a, seq)
        return False

    def _exchange_pass(self, ch: _Chains, deadline: float) -> set[int]:
        """One pass of first-improvement exchanges between the pending chains of two AMRs, for each pending request
        ``u`` and each of its ``SWAP_NEIGHBOURS`` nearest pending requests ``v`` of other AMRs: *swap* ``u`` and
        ``v``, then *2-opt** (``u`` and ``v`` exchange the rest of their trips). A move is kept when the two
        chains' cost falls without adding violation; trips keep their depot returns (no trip is added or
        emptied)."""
        changed: set[int] = set()
        D = self._eval.D
        pending = self._pending_requests(ch)  # (request, AMR) at the start of the pass: the neighbour candidates
        owner = dict(pending)  # each request's AMR, kept current as moves are applied
        for u, _ in pending:
            if time.perf_counter() >= deadline:
                break
            a = owner[u]
            near = sorted((D[u, v] + D[v, u], v) for v, b in pending if b != a)
            moved = False
            for _, v in near[:SWAP_NEIGHBOURS]:
                b = owner[v]
                if b == a:
                    continue
                seq_a = [int(x) for x in ch.seqs[a, : ch.n_seq[a]]]
                seq_b = [int(x) for x in ch.seqs[b, : ch.n_seq[b]]]
                qa, qb = seq_a.index(u), seq_b.index(v)
                ea, eb = seq_a.index(0, qa), seq_b.index(0, qb)  # the depot return closing each trip
                tail_a, tail_b = seq_a[qa + 1 : ea], seq_b[qb + 1 : eb]
                candidates = [
                    ([*seq_a[:qa], v, *seq_a[qa + 1 :]], [*seq_b[:qb], u, *seq_b[qb + 1 :]]),  # swap
                    ([*seq_a[: qa + 1], *tail_b, *seq_a[ea:]], [*seq_b[: qb + 1], *tail_a, *seq_b[eb:]]),  # 2-opt*
                ]
                if ea == qa + 1 and eb == qb + 1:
                    candidates.pop()  # both tails empty: 2-opt* changes nothing
                (ca, va), (cb, vb) = self._chain_cost(ch, a), self._chain_cost(ch, b)
                moved_to_b = ([u], tail_a)  # what goes from a to b (and back: [v], tail_b) by swap, 2-opt*
                moved_to_a = ([v], tail_b)
                for c, (new_a, new_b) in enumerate(candidates):
                    if self._keep_if_better(ch, {a: new_a, b: new_b}, {a: seq_a, b: seq_b}, ca + cb, va + vb):
                        changed.update((a, b))
                        self.reopt_moves += 1
                        owner.update(dict.fromkeys(moved_to_b[c], b))
                        owner.update(dict.fromkeys(moved_to_a[c], a))
                        moved = True
                        break
                if moved:
                    break  # u's chain changed: go on with the next request
        return changed

    def _or_opt_pass(self, ch: _Chains, deadline: float) -> set[int]:
        """One pass of first-improvement *Or-opt* moves over the pending chains: a segment of 2 or 3 consecutive
        pending requests of one trip moves, in its order, next to one of the ``SWAP_NEIGHBOURS`` pending requests
        nearest to its ends (just after a request near its first node, just before one near its last), in the same
        chain or another AMR's. A move is kept when the chains' cost falls without adding violation; no trip is
        added or emptied."""
        changed: set[int] = set()
        D = self._eval.D
        for a in range(ch.seqs.shape[0]):
            if ch.idle[a]:
                continue
            for length in (3, 2):
                q = 0
                while q + length <= ch.n_seq[a]:
                    if time.perf_counter() >= deadline:
                        return changed
                    seq_a = [int(x) for x in ch.seqs[a, : ch.n_seq[a]]]
                    seg = seq_a[q : q + length]
                    start_of_trip = q == 0 or seq_a[q - 1] == 0
                    end_of_trip = q + length < len(seq_a) and seq_a[q + length] == 0
                    if any(u == 0 or self._is_station[u] for u in seg) or (start_of_trip and end_of_trip):
                        q += 1
                        continue
                    b = self._move_segment(ch, a, seq_a, q, seg, D)
                    if b >= 0:
                        changed.update((a, b))
                        self.reopt_moves += 1
                        continue  # position q now holds the next nodes of a's chain
                    q += 1
        return changed

    def _move_segment(self, ch: _Chains, a: int, seq_a: list[int], q: int, seg: list[int], D: np.ndarray) -> int:
        """Try the Or-opt moves of ``seg`` (at position ``q`` of ``seq_a``, AMR ``a``'s chain); apply the first
        improving one and return the AMR that received the segment (``-1``: no move improves, the chains are
        unchanged)."""
        rest_a = seq_a[:q] + seq_a[q + len(seg) :]
        first, last = seg[0], seg[-1]
        inside = set(seg)
        pending = [(u, b) for u, b in self._pending_requests(ch) if u not in inside]
        after = sorted((D[w, first], w, b) for w, b in pending)[:SWAP_NEIGHBOURS]
        before = sorted((D[last, w], w, b) for w, b in pending)[:SWAP_NEIGHBOURS]
        targets = [(w, b, 1) for _, w, b in after] + [(w, b, 0) for _, w, b in before]
        cost_a, viol_a = self._chain_cost(ch, a)
        for w, b, offset in targets:
            if b == a:
                r = rest_a.index(w) + offset
                new_a = rest_a[:r] + seg + rest_a[r:]
                if new_a != seq_a and self._keep_if_better(ch, {a: new_a}, {a: seq_a}, cost_a, viol_a):
                    return a
                continue
            seq_b = [int(x) for x in ch.seqs[b, : ch.n_seq[b]]]
            r = seq_b.index(w) + offset
            cost_b, viol_b = self._chain_cost(ch, b)
            if self._keep_if_better(ch, {a: rest_a, b: seq_b[:r] + seg + seq_b[r:]}, {a: seq_a, b: seq_b},
                                    cost_a + cost_b, viol_a + viol_b):
                return b
        return -1

    def _relocate_descent(self, ch: _Chains, deadline: float) -> set[int]:
        """First-improvement relocation of single pending nodes (any non-idle AMR, any position, no new trips)
        until no move lowers the total cost, at most ``max_passes`` passes, or ``deadline``."""
        changed: set[int] = set()
        allow = np.zeros_like(ch.allow_new)  # no new trips: the trip counts stay within max_trips
        improved = True
        passes = 0
        while passes < self.max_passes and time.perf_counter() < deadline:
            if not improved:
                swapped = self._exchange_pass(ch, deadline) if self.params.repair_exchange else set()
                if not swapped and self.params.repair_or_opt:
                    swapped = self._or_opt_pass(ch, deadline)
                if not swapped:
                    break
                changed |= swapped
            improved = False
            passes += 1
            for a in range(ch.seqs.shape[0]):
                q = 0
                while q < ch.n_seq[a]:
                    u = int(ch.seqs[a, q])
                    if u == 0 or self._is_station[u]:
                        q += 1
                        continue
                    seq = [int(x) for x in ch.seqs[a, : ch.n_seq[a]]]
                    cost_with, viol_with = self._chain_cost(ch, a)
                    without = seq[:q] + seq[q + 1 :]
                    if q < len(seq) - 1 and seq[q + 1] == 0 and (q == 0 or seq[q - 1] == 0) and not (
                            q == 0 and ch.in_trip[a]):
                        without = seq[:q] + seq[q + 2 :]  # the trip becomes empty: drop it
                    self._set_seq(ch, a, without)
                    cost_without, viol_without = self._chain_cost(ch, a)
                    gain = cost_with - cost_without
                    delta, pos = self._eval.best_insertions(u, 0.0, ch.seqs, ch.n_seq, ch.starts, ch.in_trip,
                                                            ch.last, ch.t_dep, ch.load0, ch.es0, allow)
                    options = [(float(delta[b]), b) for b in range(len(delta))
                               if pos[b] >= 0 and not ch.idle[b]]
                    best = min(options, default=(math.inf, -1))
                    if best[1] >= 0 and best[0] < gain - 1e-6 and viol_without <= viol_with + 1e-6:
                        self._insert(ch, best[1], int(pos[best[1]]), u)
                        changed.update((a, best[1]))
                        self.reopt_moves += 1
                        improved = True
                        if time.perf_counter() >= deadline:
                            return changed
                        continue  # position q now holds the next node of a's chain
                    self._set_seq(ch, a, seq)
                    q += 1
        return changed


class GreedyPolicy(InsertionPolicy):
    """``greedy``: cheapest insertion or dispatch, accepted whenever feasible (no reservation, no denial test)."""

    name = "greedy"

    def __init__(self, params: DynamicParams | None = None, rng: np.random.Generator | None = None):
        super().__init__(params, rules=False, rng=rng)


class RulesPolicy(InsertionPolicy):
    """``rules``: cheapest insertion with reservation thresholds ``r_p`` and the denial test ``cost >= Lambda_p``."""

    name = "rules"

    def __init__(self, params: DynamicParams | None = None, rng: np.random.Generator | None = None):
        super().__init__(params, rules=True, rng=rng)


def lazy_plan(problem, solution, share: float = 1.0):
    """``solution`` with every trip leaving ``share`` of its time slack late (1: its lazy start, the latest
    departure adding no lateness).

    Applied to the stage-1 plan, so AMRs wait at the depot, where their first visit stays open to insertions,
    instead of waiting at their first request.
    """
    from hospital_or.solution import AMRPlan, Solution

    ev = ChainEvaluator(problem.to_arrays())
    idx = problem.node_index
    amrs = []
    for plan in solution.amrs:
        seq: list[int] = []
        for t in plan.trips:
            seq += [idx[x] for x in t.visits] + [0]
        starts = ev.lazy_starts(seq, False, 0, float(problem.depot.ready), share=share)
        p = _plan_from_chain(seq, False, starts, problem.node_ids, float(problem.depot.ready))
        amrs.append(AMRPlan(p.trips))
    return Solution(tuple(amrs), solution.rejected)


class RulesReoptPolicy(RulesPolicy):
    """``rules+reopt``: ``rules`` plus a periodic large-neighbourhood re-optimisation of the pending parts.

    Before every insertion decision (or, with ``reopt_interval > 0``, at the first reveal after each
    re-optimisation time, every ``reopt_interval`` time units) the pending parts of all non-idle AMRs are improved
    by a ruin-and-recreate search in the spirit of Hong's (2012) LNS for real-time VRPTW: ``reopt_iterations``
    times, a random pending request and its nearest pending neighbours (2 to 8 requests) are taken out of their
    chains and put back one by one, in random order, at their cheapest feasible position (the insertion kernel of
    :mod:`solvers.insertion`); the result is kept when the total cost falls without adding violation. A relocate
    descent follows. Committed prefixes stay as they are (only pending nodes move), no idle AMR is dispatched and no
    trip is added. The time spent is kept in ``reopt_times`` (the insertion decision that follows is timed
    separately, as for ``rules``); ``reopt_seconds`` caps one re-optimisation.

    Parameters
    ----------
    params
        Cost model and rules.
    rng
        Generator of the ruin-and-recreate search (default: seeded with 0, so a run is reproducible).
    """

    name = "rules+reopt"

    def __init__(self, params: DynamicParams | None = None, rng: np.random.Generator | None = None):
        super().__init__(params, rng=rng)
        self._next: float | None = None

    def _before_insertion(self, state: SimState, ch: _Chains) -> set[int]:
        interval = self.params.reopt_interval
        if interval > 0:
            if self._next is None:
                self._next = state.problem.depot.ready + interval
            if state.time < self._next:
                return set()
            self._next = state.time + interval
        tic = time.perf_counter()
        deadline = tic + self.params.reopt_seconds
        changed = self._ruin_recreate(ch, deadline, self.params.reopt_iterations)
        changed |= self._relocate_descent(ch, deadline)
        self.reopt_times.append(time.perf_counter() - tic)
        return changed

#: The stage-2 policy classes by name.
DYNAMIC_POLICIES: dict[str, type[InsertionPolicy]] = {
    GreedyPolicy.name: GreedyPolicy,
    RulesPolicy.name: RulesPolicy,
    RulesReoptPolicy.name: RulesReoptPolicy,
}


def make_dynamic(name: str, params: DynamicParams | None = None,
                 rng: np.random.Generator | None = None) -> InsertionPolicy:
    """A new stage-2 policy by name (``greedy``, ``rules``, ``rules+reopt``; ``rng`` seeds the latter's search)."""
    try:
        cls = DYNAMIC_POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown dynamic policy {name!r}; known: {', '.join(sorted(DYNAMIC_POLICIES))}") from None
    return cls(params, rng=rng)


def _register() -> None:
    """Add the stage-2 policies to the simulator's registry (default parameters)."""
    for key, cls in DYNAMIC_POLICIES.items():
        POLICIES.setdefault(key, cls)


_register()
