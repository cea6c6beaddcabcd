"""Two-stage dynamic routing: conservation, reveal times, committed prefixes, determinism, CLI contract."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from hospital_or.checker import check
from hospital_or.dynamic import DynamicParams, GreedyPolicy, RulesPolicy, run_dynamic
from hospital_or.dynamic.model import (
    _forecast_plan,
    dynamic_problem,
    forecast_requests,
    known_requests,
    stage1_plan,
)
from hospital_or.io import read_instance
from hospital_or.paths import PACKAGE_INSTANCES
from hospital_or.simulation.policy import POLICIES
from hospital_or.solution import Solution
from solvers.insertion import ChainEvaluator

FAST = DynamicParams(stage1_iterations=20, hindsight_iterations=20, safety_stock=1, safety_check_scenarios=0)


@pytest.fixture(scope="module")
def hospital():
    return read_instance(PACKAGE_INSTANCES / "hospital_small.json")


@pytest.fixture(scope="module")
def solomon(shared_dir):
    """c101 at dynamism 0.5, cut to its first 40 customers (keeps the reveal times)."""
    full = read_instance(shared_dir / "dvrptw_necula" / "c101-0.5.txt")
    return full.replace(requests=full.requests[:40])


class Recorder(RulesPolicy):
    """The rules policy, checking at every call that no committed prefix has changed since the last call."""

    name = "recorder"

    def __init__(self, params):
        super().__init__(params)
        self.seen: dict[int, tuple[str, ...]] = {}
        self.calls = 0

    def _check(self, state):
        self.calls += 1
        for view in state.amrs:
            before = self.seen.get(view.index, ())
            assert view.visited[: len(before)] == before, f"AMR {view.index}: committed prefix changed"
            self.seen[view.index] = view.visited

    def on_reveal(self, state, request):
        self._check(state)
        decision = super().on_reveal(state, request)
        for plan in decision.plans.values():
            for rid in plan.requests():
                assert state.request_status(rid) in ("unassigned", "planned"), rid
        return decision

    def on_idle(self, state, amr):
        self._check(state)
        return super().on_idle(state, amr)


def _assert_conserved(result):
    problem = result.problem
    report = check(problem, result.solution, respect_reveal_times=True)
    kinds = {v.kind for v in report.violations}
    assert not kinds & {"missing", "duplicate", "reveal", "unknown_node"}, report.violations[:3]
    assert report.feasible, report.violations[:3]
    served = [v for t in result.solution.trips for v in t.visits if v in {r.id for r in problem.requests}]
    assert len(served) == len(set(served))
    assert not set(served) & set(result.solution.rejected)
    assert len(served) + len(result.solution.rejected) == problem.n_requests
    d = result.to_dict()
    assert d["served"] + d["rejected"] == d["revealed"] == problem.n_requests
    # executed departures towards a request never precede its reveal time (independent recomputation)
    for trip in report.schedule:
        prev = trip.start
        for v in trip.visits:
            if v.kind == "request":
                assert prev >= problem.request(v.node).reveal - 1e-6
            prev = v.departure


@pytest.mark.parametrize("policy", ["greedy", "rules"])
def test_hospital_conservation(hospital, policy):
    result = run_dynamic(hospital, policy, seed=3, params=FAST, hindsight=False)
    _assert_conserved(result)
    assert result.fleet == result.stage1.amrs + FAST.safety_stock


@pytest.mark.parametrize("policy", ["greedy", "rules"])
def test_solomon_conservation_and_cost(solomon, policy):
    result = run_dynamic(solomon, policy, seed=5, params=FAST, hindsight=True)
    _assert_conserved(result)
    d = result.to_dict()
    comps = d["components"]
    assert math.isclose(d["cost"], sum(comps.values()))
    assert comps["purchase"] == FAST.purchase_cost * result.fleet
    # the checker's own costs agree with the components (fleet cost aside)
    report = result.report
    assert math.isclose(comps["transport"] + comps["delay"] + comps["denial"],
                        report.cost - report.costs["fleet"], rel_tol=1e-9, abs_tol=1e-6)
    assert d["hindsight_cost"] is not None and d["hindsight_cost"] > 0
    assert result.hindsight_report is not None and result.hindsight_report.feasible
    by = d["by_priority"]
    assert sum(by[p]["served"] for p in "123") == d["served"]
    assert sum(by[p]["rejected"] for p in "123") == d["rejected"]


@pytest.mark.parametrize("or_opt", [False, True])
def test_committed_prefixes_never_change(solomon, or_opt):
    params = FAST.replace(repair_or_opt=or_opt)
    policy = Recorder(params)
    result = run_dynamic(solomon, policy, seed=2, params=params, hindsight=False)
    assert policy.calls > 0
    _assert_conserved(result)


@pytest.mark.parametrize("policy", ["rules", "rules+reopt"])
def test_determinism(solomon, policy):
    a = run_dynamic(solomon, policy, seed=11, params=FAST, hindsight=False)
    b = run_dynamic(solomon, policy, seed=11, params=FAST, hindsight=False)
    assert a.solution == b.solution
    da, db = a.to_dict(), b.to_dict()
    for key in ("decision_ms", "reopt_ms", "runtime", "stage1_seconds"):
        da.pop(key), db.pop(key)
    assert da == db


def test_priorities_drawn_only_when_missing(solomon, hospital):
    rng = np.random.default_rng(0)
    model = dynamic_problem(solomon, DynamicParams(), rng)
    assert {r.priority for r in model.requests} == {1, 2, 3}
    assert model.lateness_weights == (10.0, 5.0, 1.0) and model.rejection_costs == (2000.0, 800.0, 300.0)
    again = dynamic_problem(solomon, DynamicParams(), np.random.default_rng(0))
    assert [r.priority for r in again.requests] == [r.priority for r in model.requests]
    kept = dynamic_problem(hospital, DynamicParams(), rng)
    assert [r.priority for r in kept.requests] == [r.priority for r in hospital.requests]
    assert not kept.is_stochastic
    assert all(r.reveal <= kept.depot.ready for r in known_requests(kept).requests)


def test_rules_reject_when_denial_is_cheap(solomon):
    cheap = FAST.replace(denial_costs=(0.0, 0.0, 0.0), safety_stock=0)
    rules = run_dynamic(solomon, "rules", seed=1, params=cheap, hindsight=False)
    greedy = run_dynamic(solomon, "greedy", seed=1, params=cheap, hindsight=False)
    dynamic = rules.to_dict()["dynamic"]
    assert rules.to_dict()["rejected"] == dynamic  # every revealed request costs more than 0 to serve
    assert greedy.to_dict()["rejected"] < dynamic
    _assert_conserved(rules)


def test_insertion_kernel_matches_explicit_chain(solomon):
    model = dynamic_problem(solomon, DynamicParams(), np.random.default_rng(1))
    ev = ChainEvaluator(model.to_arrays())
    seq = [3, 7, 0, 12, 5, 0]
    base = ev.evaluate(seq, [0.0, 0.0], True, 9, 100.0, load0=10.0)
    for q in range(len(seq) + 1):
        inserted = ev.evaluate(seq, [0.0, 0.0], True, 9, 100.0, load0=10.0, ins_node=20, ins_pos=q,
                               new_start=150.0)
        if q == len(seq):
            explicit_seq, starts = [*seq, 20, 0], [0.0, 0.0, 150.0]
        else:
            explicit_seq, starts = [*seq[:q], 20, *seq[q:]], [0.0, 0.0]
        explicit = ev.evaluate(explicit_seq, starts, True, 9, 100.0, load0=10.0)
        assert math.isclose(inserted["cost"], explicit["cost"], abs_tol=1e-9)
        assert math.isclose(inserted["violation"], explicit["violation"], abs_tol=1e-9)
        assert inserted["distance"] >= base["distance"] - 1e-9
    # the lazy start of the last trip adds neither lateness nor violation
    starts = ev.lazy_starts(seq, True, 9, 100.0, 10.0)
    lazy = ev.evaluate(seq, starts, True, 9, 100.0, load0=10.0)
    assert len(starts) == 1 and math.isclose(lazy["cost"], base["cost"], abs_tol=1e-6)
    assert lazy["violation"] <= base["violation"] + 1e-6


def _busy_time(arrays, seq, starts, last, t_dep):
    """Time out of the depot, recomputed in Python: the rest of the current trip (from ``last`` at ``t_dep``), then
    each depot trip from its earliest start, waits included (drive first)."""
    T, ready, service = arrays.travel_mean, arrays.ready, arrays.service_mean
    busy, k, t, at, begin, on_trip = 0.0, 0, t_dep, last, t_dep, True
    for x in seq:
        if not on_trip:  # a trip leaves at its earliest start, once the AMR is back and turned around
            begin = max(starts[k], t + arrays.depot_turnaround)
            t, at, on_trip = begin, 0, True
            k += 1
        t += T[at, x]
        at = x
        if x == 0:
            busy += t - begin
            on_trip = False
        else:
            t = max(t, ready[x]) + service[x]
    return busy


def test_busy_weight_prices_the_chains_busy_time(solomon):
    model = dynamic_problem(solomon, DynamicParams(), np.random.default_rng(1))
    arrays = model.to_arrays()
    seq, starts = [3, 7, 0, 12, 5, 0], [0.0, 60.0]
    plain = ChainEvaluator(arrays).evaluate(seq, starts, True, 9, 100.0, load0=10.0)
    assert math.isclose(plain["busy"], _busy_time(arrays, seq, starts, 9, 100.0), abs_tol=1e-9)
    ev = ChainEvaluator(arrays, duration_weight=0.5)
    weighted = ev.evaluate(seq, starts, True, 9, 100.0, load0=10.0)
    assert math.isclose(weighted["cost"], plain["cost"] + 0.5 * plain["busy"], abs_tol=1e-9)
    # the kernel's insertion deltas are the weighted chain's evaluated changes, new trip included
    seqs = np.zeros((1, 12), dtype=np.int64)
    seqs[0, : len(seq)] = seq
    args = (seqs, np.array([len(seq)]), np.array([[0.0, 60.0, 0.0]]), np.array([True]), np.array([9]),
            np.array([100.0]), np.array([10.0]), np.array([0.0]), np.array([True]))
    for v in (20, 33):
        delta, pos = ev.best_insertions(v, 150.0, *args)
        options = []
        for q in range(len(seq) + 1):
            r = ev.evaluate(seq, starts, True, 9, 100.0, load0=10.0, ins_node=v, ins_pos=q, new_start=150.0)
            if r["violation"] <= weighted["violation"] + 1e-6:
                options.append((r["cost"] - weighted["cost"], q))
        best = min(options, default=(math.inf, -1))
        assert math.isclose(delta[0], best[0], abs_tol=1e-9) and pos[0] == best[1]
    with pytest.raises(ValueError, match="busy_share"):
        DynamicParams(busy_share=-1.0)


@pytest.mark.parametrize("share", [0.0, 0.5])
def test_policies_price_busy_time_per_purchase_day(solomon, share):
    params = FAST.replace(busy_share=share)
    policy = RulesPolicy(params, rng=np.random.default_rng(4))
    result = run_dynamic(solomon, policy, seed=4, params=params, hindsight=False)
    day = solomon.depot.horizon - solomon.depot.ready
    assert math.isclose(policy._eval.duration_weight, share * params.purchase_cost / day)
    _assert_conserved(result)


def test_params_toml(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("[dynamic]\nsafety_stock = 3\nreservation = [0, 2, 5]\npurchase_cost = 100.0\n")
    p = DynamicParams.from_file(path)
    assert p.safety_stock == 3 and p.purchase_cost == 100.0 and p.transport_cost == 1.0
    assert p.effective_reservation() == (0, 2, 3)
    with pytest.raises(ValueError):
        DynamicParams.from_dict({"bogus": 1})
    with pytest.raises(ValueError):
        DynamicParams(reservation=(0, 2, 1))
    with pytest.raises(ValueError):
        DynamicParams(priority_mix=(0.5, 0.5, 0.5))


def test_registered_with_the_simulator():
    assert POLICIES["greedy"] is GreedyPolicy and POLICIES["rules"] is RulesPolicy


def test_cli_json_contract(shared_dir, tmp_path, capsys):
    from hospital_or.cli import main

    path = shared_dir / "dvrptw_necula" / "rc101-0.5.txt"
    out = tmp_path / "out"
    code = main(["dynamic", str(path), "--policy", "rules", "--safety-stock", "2", "--seed", "1", "--out", str(out),
                 "--format", "json", "--params", str(_fast_toml(tmp_path))])
    assert code == 0
    d = json.loads(capsys.readouterr().out)
    for key in ("revealed", "served", "rejected", "cost", "components", "by_priority", "decision_ms",
                "hindsight_cost", "hindsight_gap_pct"):
        assert key in d
    assert set(d["components"]) == {"purchase", "transport", "delay", "denial"}
    assert set(d["by_priority"]["1"]) >= {"served", "rejected", "late"}
    assert d["decision_ms"]["median"] is not None and d["decision_ms"]["p99"] >= d["decision_ms"]["median"]
    assert d["served"] + d["rejected"] == d["revealed"] == 100
    for name in ("routes.sol", "routes.json", "events.csv", "decisions.csv", "summary.json"):
        assert (out / name).is_file()
    from hospital_or.io import read_solution

    problem = read_instance(path)
    plan = read_solution(out / "routes.json", problem)
    assert len(plan.rejected) == d["rejected"]
    assert main(["dynamic", str(path), "--policy", "nope"]) == 2


def _fast_toml(tmp_path):
    path = tmp_path / "fast.toml"
    path.write_text("stage1_iterations = 20\nhindsight_iterations = 20\n")
    return path


def test_rules_reopt_conserves_and_moves(solomon):
    from hospital_or.dynamic.policies import RulesReoptPolicy

    params = FAST.replace(reopt_interval=20.0, safety_stock=2)  # periodic, every 20 time units
    policy = RulesReoptPolicy(params)
    result = run_dynamic(solomon, policy, seed=4, params=params, hindsight=False)
    _assert_conserved(result)
    assert policy.reopt_times, "no re-optimisation ran"
    rules = run_dynamic(solomon, "rules", seed=4, params=params, hindsight=False)
    assert result.to_dict()["revealed"] == rules.to_dict()["revealed"]


def test_sweep_rows_and_plot(solomon):
    import matplotlib

    matplotlib.use("Agg")
    from hospital_or.dynamic.sweep import plot_sweep, sweep

    frame = sweep(solomon, seed=1, params=FAST, stocks=(0, 1), reservations=((0, 0, 0), (0, 1, 1)),
                  hindsight=False)
    # s = 0 clips (0, 1, 1) to (0, 0, 0): one rules row; s = 1 keeps both
    assert list(frame["policy"]) == ["rules", "greedy", "rules", "rules", "greedy"]
    assert (frame["served"] + frame["rejected"] == solomon.n_requests).all()
    parts = frame["purchase"] + frame["transport"] + frame["delay"] + frame["denial"]
    assert (parts - frame["cost"]).abs().max() < 1e-6
    ax = plot_sweep(frame)
    assert ax.get_xlabel().startswith("safety stock")


def test_cli_sweep(shared_dir, tmp_path, capsys):
    from hospital_or.cli import main

    path = shared_dir / "dvrptw_necula" / "c101-0.3.txt"
    code = main(["dynamic", "sweep", str(path), "--stocks", "0,1", "--reservations", "011", "--no-hindsight",
                 "--params", str(_fast_toml(tmp_path)), "--format", "csv", "--out", str(tmp_path / "sw")])
    assert code == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].startswith("instance,policy,s,r,fleet,cost")
    assert len(text.splitlines()) == 1 + 4  # s=0: rules, greedy; s=1: rules, greedy
    assert (tmp_path / "sw" / "sweep.csv").is_file() and (tmp_path / "sw" / "sweep.png").is_file()
    assert main(["dynamic", "sweep", str(path), "--reservations", "01"]) == 2


class ReoptRecorder(Recorder):
    """``rules+reopt`` (ruin and recreate + relocation before every decision) under the same prefix checks."""

    name = "reopt-recorder"

    def __init__(self, params):
        super().__init__(params)
        from hospital_or.dynamic.policies import RulesReoptPolicy

        self._reopt = RulesReoptPolicy(params, rng=np.random.default_rng(3))

    def on_reveal(self, state, request):
        self._check(state)
        decision = self._reopt.on_reveal(state, request)
        for plan in decision.plans.values():
            for rid in plan.requests():
                assert state.request_status(rid) in ("unassigned", "planned"), rid
        return decision


def test_reopt_keeps_prefixes_reveals_and_conservation(solomon):
    params = FAST.replace(safety_stock=2)
    policy = ReoptRecorder(params)
    result = run_dynamic(solomon, policy, seed=2, params=params, hindsight=False)
    assert policy.calls > 0 and policy._reopt.reopt_times
    _assert_conserved(result)


def _chain_state(solomon):
    """Two AMRs on a trip (committed targets 9 and 14) and one waiting at the depot, as policy chains."""
    from hospital_or.dynamic.policies import RulesReoptPolicy, _Chains

    model = dynamic_problem(solomon, DynamicParams(), np.random.default_rng(1))
    policy = RulesReoptPolicy(DynamicParams(reopt_iterations=60), rng=np.random.default_rng(5))
    arrays = model.to_arrays()
    policy._eval = ChainEvaluator(arrays)
    policy._is_station = arrays.is_station
    ch = _Chains(3, 64, 3)
    ch.max_trips = 1
    chains = ([20, 3, 33, 7, 0], [12, 25, 5, 30, 0], [11, 38, 2, 0])
    for a, seq in enumerate(chains):
        policy._set_seq(ch, a, seq)
    ch.in_trip[:2] = True
    ch.last[:2] = (9, 14)
    ch.t_dep[:] = (120.0, 150.0, 100.0)
    ch.load0[:2] = (30.0, 20.0)
    ch.trips[2] = 1
    return policy, ch


def test_ruin_recreate_conserves_nodes_and_never_worsens(solomon):
    policy, ch = _chain_state(solomon)
    before_nodes = sorted(int(x) for a in range(3) for x in ch.seqs[a, : ch.n_seq[a]] if x != 0)
    before = policy._total(ch, range(3))
    committed = (ch.in_trip.copy(), ch.last.copy(), ch.t_dep.copy(), ch.load0.copy())
    changed = policy._ruin_recreate(ch, float("inf"), policy.params.reopt_iterations)
    after = policy._total(ch, range(3))
    after_nodes = sorted(int(x) for a in range(3) for x in ch.seqs[a, : ch.n_seq[a]] if x != 0)
    assert after_nodes == before_nodes  # every pending request is still planned, exactly once
    assert after[0] <= before[0] + 1e-9 and after[1] <= before[1] + 1e-9
    assert changed and after[0] < before[0]  # the hand-made chains are poor: some ruin and recreate must pay off
    for old, new in zip(committed, (ch.in_trip, ch.last, ch.t_dep, ch.load0), strict=True):
        assert np.array_equal(old, new)  # the committed targets and their timing are untouched
    for a in range(3):  # every chain still ends its trips with a depot return
        assert ch.n_seq[a] == 0 or ch.seqs[a, ch.n_seq[a] - 1] == 0


def test_ruin_recreate_is_deterministic(solomon):
    (p1, c1), (p2, c2) = _chain_state(solomon), _chain_state(solomon)
    p1._ruin_recreate(c1, float("inf"), p1.params.reopt_iterations)
    p2._ruin_recreate(c2, float("inf"), p2.params.reopt_iterations)
    assert np.array_equal(c1.seqs, c2.seqs) and np.array_equal(c1.n_seq, c2.n_seq)


def test_reservation_counts_amrs_still_at_the_depot(solomon):
    """Spec 3.4's I(t): AMRs at the depot that have not left (a lazily planned trip counts), not only empty ones."""
    from types import SimpleNamespace

    from hospital_or.simulation.policy import AMRView, PendingPlan
    from hospital_or.solution import Trip

    model = dynamic_problem(solomon, DynamicParams(), np.random.default_rng(1))
    ids = [r.id for r in model.requests]

    def view(i, on_trip, pending, trip):
        return AMRView(i, "waiting", on_trip, model.depot.id, ids[0] if on_trip else None, 50.0, math.inf,
                       10.0, trip, (), pending)

    views = (
        view(0, True, PendingPlan((ids[1],)), 1),  # out on its trip
        view(1, False, PendingPlan((), (Trip((ids[2],), 300.0),)), 0),  # planned trip, not left yet
        view(2, False, PendingPlan(), 0),  # idle
        view(3, False, PendingPlan(), 1),  # back home, no trip left (max_trips = 1)
    )
    state = SimpleNamespace(problem=model, time=50.0, amrs=views)
    policy = RulesPolicy(DynamicParams(safety_stock=4, reservation=(0, 1, 2)))
    policy._prepare(state)
    ch = policy._chains(state, views)
    assert list(ch.at_depot) == [False, True, True, False]
    assert list(ch.idle) == [False, False, True, False]
    j = model.node_index[ids[5]]
    _, _, _, count = policy._best_option(ch, j, 1, 50.0)
    assert count == 2
    # r_3 = 2: two AMRs at the depot are not more than two, so priority 3 may not take the idle AMR ...
    cost3, amr3, _, _ = policy._best_option(ch, j, 3, 50.0)
    assert amr3 != 2
    # ... while r_2 = 1 < 2 leaves priority 2 every option, as without reservation (counting only the empty
    # AMR, I = 1, would have forbidden it)
    unreserved = RulesPolicy(DynamicParams(safety_stock=4, reservation=(0, 0, 0)))
    unreserved._prepare(state)
    assert policy._best_option(ch, j, 2, 50.0) == unreserved._best_option(ch, j, 2, 50.0)
    assert policy._best_option(ch, j, 2, 50.0)[0] <= cost3


def test_repair_switch(solomon):
    params = FAST.replace(safety_stock=2)
    on = RulesPolicy(params)
    off = RulesPolicy(params.replace(repair=False))
    a = run_dynamic(solomon, on, seed=6, params=params, hindsight=False)
    b = run_dynamic(solomon, off, seed=6, params=params.replace(repair=False), hindsight=False)
    _assert_conserved(a)
    _assert_conserved(b)
    assert on.reopt_times and not off.reopt_times
    assert off.reopt_moves == 0
    with pytest.raises(ValueError):
        DynamicParams(reopt_iterations=-1)


def test_bump_denies_only_lower_priority_pending_requests(solomon):
    """Priority preemption: a request that would be denied takes the place of a pending lower-priority one."""
    # no room reserved for later requests and no ruin-and-recreate before denials: bumps happen
    params = FAST.replace(safety_stock=0, forecast="none", make_room=0)
    seen = []

    class Bumper(Recorder):
        def on_reveal(self, state, request):
            decision = super().on_reveal(state, request)
            if self.decisions and self.decisions[-1].action == "bump" and self.decisions[-1].request == request:
                p = state.problem.request(request).priority
                for rid in decision.reject:
                    assert state.request_status(rid) == "planned"  # pending, never committed
                    assert state.problem.request(rid).priority > p
                assert any(request in plan.requests() for plan in decision.plans.values())
                seen.append(request)
            return decision

    policy = Bumper(params)
    result = run_dynamic(solomon, policy, seed=5, params=params, hindsight=False)
    _assert_conserved(result)
    assert seen, "no bump happened"
    served = {v for t in result.solution.trips for v in t.visits}
    assert set(seen) <= served
    off = run_dynamic(solomon, RulesPolicy(params.replace(bump=False)), seed=5, params=params.replace(bump=False),
                      hindsight=False)
    assert not any(d.action == "bump" for d in off.decisions)
    _assert_conserved(off)


def test_forecast_requests_bootstrap_the_known_demand(solomon):
    model = dynamic_problem(solomon, DynamicParams(), np.random.default_rng(1))
    known = {r.id: r for r in known_requests(model).requests}
    later = model.n_requests - len(known)
    copy = DynamicParams(forecast_scale=0.5, forecast_priority=0)
    ghosts = forecast_requests(model, copy, np.random.default_rng(3))
    assert len(ghosts) == round(0.5 * later) > 0
    assert len({g.id for g in ghosts}) == len(ghosts) and not {g.id for g in ghosts} & set(known)
    windows = {(k.ready, k.due) for k in known.values()}
    for g in ghosts:  # a known request's place and load with a known (nearby) window, known from the start
        assert g.reveal == 0.0 and (g.ready, g.due) in windows
        assert any((g.x, g.y, g.service, g.demand, g.priority) == (k.x, k.y, k.service, k.demand, k.priority)
                   for k in known.values())
    # windows come from neighbours: exact twins of a known request are the exception, not the rule
    twins = sum(any((g.x, g.y, g.ready, g.due) == (k.x, k.y, k.ready, k.due) for k in known.values()) for g in ghosts)
    assert twins < len(ghosts) / 2
    again = forecast_requests(model, copy, np.random.default_rng(3))
    assert again == ghosts
    # forecast_priority (default 3): the same sample, every forecast request routine (lateness priced at w_3)
    routine = forecast_requests(model, DynamicParams(forecast_scale=0.5), np.random.default_rng(3))
    assert [dataclasses.replace(g, priority=3) for g in ghosts] == list(routine)
    assert {g.priority for g in ghosts} != {3}  # the copies keep the known requests' mixed priorities
    with pytest.raises(ValueError, match="forecast_priority"):
        DynamicParams(forecast_priority=4)
    assert forecast_requests(model, DynamicParams(forecast="none"), np.random.default_rng(3)) == ()


def test_stage1_plan_with_forecast_serves_exactly_the_known_requests(solomon):
    params = DynamicParams(stage1_iterations=60)
    model = dynamic_problem(solomon, params, np.random.default_rng(1))
    known = known_requests(model)
    with_forecast = stage1_plan(model, params, np.random.default_rng(2))
    without = stage1_plan(model, params.replace(forecast="none"), np.random.default_rng(2))
    for plan in (with_forecast, without):
        visited = [v for a in plan.solution.amrs for t in a.trips for v in t.visits]
        assert sorted(visited) == sorted(r.id for r in known.requests)
        assert check(known, plan.solution).feasible
        assert plan.amrs >= plan.solution.num_vehicles
    # the forecast plans about twice the volume: it needs more AMRs than the known requests alone
    assert with_forecast.amrs > without.amrs


def test_departure_slack_share(solomon):
    model = dynamic_problem(solomon, DynamicParams(), np.random.default_rng(1))
    ev = ChainEvaluator(model.to_arrays())
    seq = [12, 5, 20, 0]
    lazy = ev.lazy_starts(seq, False, 0, 0.0)[0]
    half = ev.lazy_starts(seq, False, 0, 0.0, share=0.5)[0]
    early = ev.lazy_starts(seq, False, 0, 0.0, share=0.0)[0]
    assert early == 0.0 and lazy > 0.0 and math.isclose(half, 0.5 * lazy)
    base = ev.evaluate(seq, [0.0], False, 0, 0.0)
    for start in (lazy, half):  # a later departure within the slack adds no lateness
        assert math.isclose(ev.evaluate(seq, [start], False, 0, 0.0)["cost"], base["cost"], abs_tol=1e-6)
    with pytest.raises(ValueError):
        DynamicParams(departure_slack_share=1.5)
    with pytest.raises(ValueError):
        DynamicParams(forecast="oracle")


def test_hospital_parameter_file(hospital):
    """The hospital-unit parameters load, keep w_1/w_3 = 10, and give a conserved day with a full-information
    reference (whose one-trip-per-AMR variant may need more AMRs than the multi-trip fleet limit)."""
    params = DynamicParams.from_file(PACKAGE_INSTANCES / "params" / "dynamic_hospital.toml")
    assert params.purchase_cost == 50.0 and math.isclose(params.lateness_weights[0] / params.lateness_weights[2], 10)
    params = params.replace(stage1_iterations=20, hindsight_iterations=20)
    result = run_dynamic(hospital, "rules", seed=3, params=params)
    _assert_conserved(result)
    assert math.isfinite(result.hindsight_cost) and result.to_dict()["hindsight_components"]["purchase"] > 0


def _pending_nodes(ch):
    return sorted(int(x) for a in range(ch.seqs.shape[0]) for x in ch.seqs[a, : ch.n_seq[a]] if x != 0)


def test_make_room_places_the_request_or_leaves_the_chains(solomon):
    """Ruin and recreate around a request: it ends up planned exactly once, nothing else is lost, no violation
    is added and the returned increase is the true cost change below the limit; otherwise nothing changes."""
    placed = 0
    planned = set(_pending_nodes(_chain_state(solomon)[1]))
    for j in [v for v in range(1, 41) if v not in planned and v not in (9, 14)][:12]:
        policy, ch = _chain_state(solomon)
        policy.params = DynamicParams(make_room=40)
        before_nodes = _pending_nodes(ch)
        before = policy._total(ch, range(3))
        seqs = ch.seqs.copy()
        room = policy._make_room(ch, j, 3, limit=300.0, now=150.0)
        if room is None:
            assert np.array_equal(seqs, ch.seqs)
            continue
        placed += 1
        increase, touched, denied = room
        assert denied == []  # a priority-3 request preempts nobody
        after = policy._total(ch, range(3))
        assert _pending_nodes(ch) == sorted([*before_nodes, j])
        assert after[1] <= before[1] + 1e-6
        assert increase == pytest.approx(after[0] - before[0]) and increase < 300.0
        assert {a for a in range(3) if not np.array_equal(seqs[a], ch.seqs[a])} <= touched
        for a in range(3):
            assert ch.n_seq[a] == 0 or ch.seqs[a, ch.n_seq[a] - 1] == 0
    assert placed > 0


def test_make_room_may_deny_only_lower_priority_pending_requests(solomon):
    """With ``make_room_deny`` an attempt for a priority-1 request may leave out removed requests of lower priority:
    on two full AMRs, ``j`` is planned once, the denied requests were pending and are no longer planned, everything
    else stays, and the returned cost is the chains' cost change plus the denied requests' losses; without it
    nobody is denied (and j does not fit)."""
    planned = set(_pending_nodes(_chain_state(solomon)[1]))
    losses = DynamicParams().denial_costs
    denials = {True: 0, False: 0}
    served = {True: 0, False: 0}
    for deny in (True, False):
        for j in [v for v in range(1, 41) if v not in planned and v not in (9, 14)][:12]:
            policy, ch = _chain_state(solomon)
            policy.params = DynamicParams(make_room=40, make_room_deny=deny)
            policy._problem = dynamic_problem(solomon, DynamicParams(), np.random.default_rng(1))
            policy._priority = np.where(np.arange(policy._problem.n_requests + 1) == j, 1, 3)
            # AMRs 0 and 1 full to capacity, AMR 2 idle: room for j only by leaving requests out
            demand = policy._problem.to_arrays().demand
            for a in range(2):
                ch.load0[a] = policy._problem.fleet.capacity - sum(demand[x] for x in ch.seqs[a, : ch.n_seq[a]])
            ch.idle[2] = True
            before_nodes = _pending_nodes(ch)
            before = policy._total(ch, range(3))
            room = policy._make_room(ch, j, 1, limit=5000.0, now=150.0)
            if room is None:
                continue
            increase, _, denied = room
            served[deny] += 1
            denials[deny] += len(denied)
            after = policy._total(ch, range(3))
            assert set(denied) <= set(before_nodes) and j not in denied
            assert _pending_nodes(ch) == sorted([*(set(before_nodes) - set(denied)), j])
            assert after[1] <= before[1] + 1e-6
            assert increase == pytest.approx(after[0] - before[0] + len(denied) * losses[2])
    assert denials[True] > 0 and denials[False] == 0
    assert served[False] == 0 < served[True]


def test_make_room_serves_requests_that_would_be_denied(solomon):
    """With no spare AMR and no forecast, ruin and recreate before a denial serves requests that plain insertion
    (plus the relocate repair) would deny, without touching committed prefixes; the day stays feasible and
    conserved."""
    params = FAST.replace(safety_stock=0, forecast="none", bump=False)
    rooms = []

    class RoomRecorder(Recorder):
        def on_reveal(self, state, request):
            decision = super().on_reveal(state, request)
            if self.decisions and self.decisions[-1].action == "room" and self.decisions[-1].request == request:
                assert request not in decision.reject
                assert any(request in plan.requests() for plan in decision.plans.values())
                assert self.decisions[-1].cost < state.problem.rejection_costs[self.decisions[-1].priority - 1]
                rooms.append(request)
            return decision

    on = run_dynamic(solomon, RoomRecorder(params), seed=5, params=params, hindsight=False)
    off = run_dynamic(solomon, "rules", seed=5, params=params.replace(make_room=0), hindsight=False)
    _assert_conserved(on)
    _assert_conserved(off)
    assert rooms, "no request was served by making room"
    assert not any(d.action == "room" for d in off.decisions)
    with pytest.raises(ValueError):
        DynamicParams(make_room=-1)


@pytest.mark.parametrize("repair_pass", ["_exchange_pass", "_or_opt_pass"])
def test_repair_pass_conserves_and_improves(solomon, repair_pass):
    """The repair's exchange pass (swap, 2-opt*) and Or-opt pass (segments of 2-3 pending requests) keep every
    pending request planned once, leave the committed targets alone, add no violation, neither add nor empty a
    trip, report the chains they changed and, on the hand-made chains, lower the cost."""
    policy, ch = _chain_state(solomon)
    before_nodes = _pending_nodes(ch)
    before = policy._total(ch, range(3))
    chains = [list(ch.seqs[a, : ch.n_seq[a]]) for a in range(3)]
    committed = (ch.in_trip.copy(), ch.last.copy(), ch.t_dep.copy(), ch.load0.copy())
    changed = getattr(policy, repair_pass)(ch, deadline=float("inf"))
    after = policy._total(ch, range(3))
    assert _pending_nodes(ch) == before_nodes
    assert changed and after[0] < before[0] and after[1] <= before[1] + 1e-9
    for old, new in zip(committed, (ch.in_trip, ch.last, ch.t_dep, ch.load0), strict=True):
        assert np.array_equal(old, new)
    # every chain keeps its trips (depot returns)
    assert [list(ch.seqs[a, : ch.n_seq[a]]).count(0) for a in range(3)] == [1, 1, 1]
    assert {a for a in range(3) if list(ch.seqs[a, : ch.n_seq[a]]) != chains[a]} <= set(changed)


def test_hindsight_restarts_keep_the_cheapest_plan(solomon):
    """More independent hindsight searches never give a dearer reference (the first search is the same stream)."""
    from hospital_or.dynamic.model import hindsight_generator, hindsight_plan

    model = dynamic_problem(solomon, FAST, np.random.default_rng(1))
    one = hindsight_plan(model, FAST.replace(hindsight_restarts=1), hindsight_generator(4))[1]
    three = hindsight_plan(model, FAST.replace(hindsight_restarts=3), hindsight_generator(4))[1]
    assert one.feasible and three.feasible
    assert three.cost <= one.cost + 1e-9
    with pytest.raises(ValueError):
        DynamicParams(hindsight_restarts=0)


def test_forecast_scenarios_keep_the_median_fleet(solomon):
    params = DynamicParams(stage1_iterations=40, forecast_scenarios=3)
    model = dynamic_problem(solomon, params, np.random.default_rng(1))
    known = known_requests(model)
    chosen = stage1_plan(model, params, np.random.default_rng(8))
    # the same three scenarios, one at a time, from the streams stage1_plan spawns (after the routing's own stream)
    _, sizing = np.random.default_rng(8).spawn(2)
    plans = [_forecast_plan(model, known, params, stream) for stream in sizing.spawn(3)]
    fleets = sorted(p.amrs for p in plans)
    assert fleets[0] < fleets[2]  # the scenarios disagree (seed chosen so), so the median rule is exercised
    assert chosen.amrs == fleets[1]
    assert chosen.cost == min(p.cost for p in plans if p.amrs == fleets[1])
    assert check(known, chosen.solution).feasible
    assert stage1_plan(model, params, np.random.default_rng(8)).solution == chosen.solution
    with pytest.raises(ValueError, match="forecast_scenarios"):
        DynamicParams(forecast_scenarios=0)


def test_fleet_override_purchases_exactly_that_fleet(solomon):
    """Diagnostics hook: ``fleet=k`` purchases k AMRs; below the prior plan's AMR count the dropped routes' requests
    are left to the policy and every request is still served or denied exactly once."""
    base = run_dynamic(solomon, "rules", seed=3, params=FAST, hindsight=False)
    prior = len(base.stage1.solution.amrs)
    for k in (prior + 2, max(1, prior - 2)):
        res = run_dynamic(solomon, "rules", seed=3, params=FAST, hindsight=False, fleet=k)
        assert res.fleet == k and res.components["purchase"] == pytest.approx(500.0 * k)
        _assert_conserved(res)


def test_morning_fleet_check_buys_one_spare_less_when_a_sample_needs_fewer_amrs(solomon):
    """``safety_check_scenarios``: stage 1 plans that many more forecast samples (fleets only); the safety stock
    drops by one (not below 0) when one of them needs fewer AMRs than ``m1``; the run buys ``m1 + s`` AMRs and its
    policy and JSON use that ``s``."""
    from hospital_or.dynamic.model import StagePlan

    plan = StagePlan(Solution(()), 11, 0.0, 0.0, 0, check_fleets=(12, 10, 11))
    on = DynamicParams(safety_stock=1, safety_check_scenarios=5, safety_check_rule="below")
    assert plan.safety_stock(on.replace(safety_stock=2)) == 1
    assert plan.safety_stock(on.replace(safety_stock=0)) == 0
    assert plan.safety_stock(on.replace(safety_stock=2, safety_check_scenarios=0)) == 2  # no check: s itself
    assert StagePlan(Solution(()), 10, 0.0, 0.0, 0, check_fleets=(10, 11)).safety_stock(on) == 1
    params = FAST.replace(safety_check_scenarios=3, safety_check_rule="below")
    model = dynamic_problem(solomon, params, np.random.default_rng(4))
    stage1 = stage1_plan(model, params, np.random.default_rng(4))
    assert len(stage1.check_fleets) == 3 and min(stage1.check_fleets) >= 1
    assert stage1_plan(model, params.replace(safety_check_scenarios=0), np.random.default_rng(4)).check_fleets == ()
    res = run_dynamic(solomon, "rules", seed=4, params=params, stage1=stage1, hindsight=False)
    s = stage1.safety_stock(params)
    assert res.fleet == stage1.amrs + s and res.to_dict()["safety_stock"] == s
    assert res.to_dict()["check_fleets"] == list(stage1.check_fleets)
    _assert_conserved(res)
    with pytest.raises(ValueError):
        DynamicParams(safety_check_scenarios=-1)


def test_morning_fleet_check_rules(solomon):
    """``safety_check_rule``: ``"agree"`` buys one spare less only when every check sample needs exactly ``m1``
    AMRs; ``"above"`` (the default, with s = 0 and 5 samples) one more when a check sample needs more than ``m1``;
    ``"max"`` as many more as the largest check sample needs beyond ``m1``. A run buys ``m1`` plus the adjusted
    ``s``."""
    from hospital_or.dynamic.model import StagePlan

    def plan(m1, *fleets):
        return StagePlan(Solution(()), m1, 0.0, 0.0, 0, check_fleets=fleets)

    agree = DynamicParams(safety_stock=1, safety_check_scenarios=3, safety_check_rule="agree")
    assert agree.replace(safety_check_scenarios=0).safety_check_rule == "agree"
    assert plan(11, 11, 11, 11).safety_stock(agree) == 0
    assert plan(11, 11, 12, 11).safety_stock(agree) == 1
    assert plan(11, 10, 11, 11).safety_stock(agree) == 1
    assert plan(11, 11, 11).safety_stock(agree.replace(safety_stock=0)) == 0
    assert plan(11, 11, 11).safety_stock(agree.replace(safety_stock=2)) == 1
    assert plan(11, 11, 11).safety_stock(agree.replace(safety_check_scenarios=0)) == 1  # no check: s itself
    top = agree.replace(safety_check_rule="max", safety_stock=0)
    assert plan(11, 10, 11, 11).safety_stock(top) == 0
    assert plan(11, 12, 10, 13).safety_stock(top) == 2
    assert plan(11, 12).safety_stock(top.replace(safety_stock=1)) == 2
    default = DynamicParams()
    assert (default.safety_stock, default.safety_check_scenarios, default.safety_check_rule) == (0, 5, "above")
    assert plan(11, 10, 11, 11, 9, 11).safety_stock(default) == 0
    assert plan(11, 10, 11, 13, 9, 12).safety_stock(default) == 1  # one spare at most
    assert plan(11, 12).safety_stock(default.replace(safety_stock=1)) == 2
    assert plan(11, 12).safety_stock(default.replace(safety_check_scenarios=0)) == 0
    params = FAST.replace(safety_check_scenarios=2, safety_check_rule="max", safety_stock=0)
    model = dynamic_problem(solomon, params, np.random.default_rng(4))
    stage1 = stage1_plan(model, params, np.random.default_rng(4))
    res = run_dynamic(solomon, "rules", seed=4, params=params, stage1=stage1, hindsight=False)
    assert res.fleet == max(stage1.amrs, *stage1.check_fleets) or stage1.day_slack >= params.ample_day_slack
    assert res.fleet == stage1.amrs + stage1.safety_stock(params)
    everything = params.replace(ample_day_slack=1.0)
    assert stage1.amrs + stage1.safety_stock(everything) == max(stage1.amrs, *stage1.check_fleets)
    _assert_conserved(res)
    with pytest.raises(ValueError, match="safety_check_rule"):
        DynamicParams(safety_check_rule="median")


def test_morning_check_buys_no_spare_when_the_forecast_plans_leave_time(solomon):
    """``ample_day_slack``: the ``above`` / ``max`` check adds no spare when the forecast plans' AMRs are back, on
    average, at least that share of the day before its end; ``day_slack`` is that share (one AMR back at 25 of a
    100-unit day: 0.75), averaged over the plan and its check samples."""
    from hospital_or.dynamic.model import StagePlan, day_slack
    from hospital_or.problem import Depot, Fleet, Problem, Request
    from hospital_or.solution import AMRPlan, Trip

    def plan(slack, m1, *fleets):
        return StagePlan(Solution(()), m1, 0.0, 0.0, 0, check_fleets=fleets, day_slack=slack)

    default = DynamicParams()
    assert default.ample_day_slack == 0.15
    assert plan(0.10, 11, 12).safety_stock(default) == 1
    assert plan(0.20, 11, 12).safety_stock(default) == 0
    assert plan(0.20, 11, 12).safety_stock(default.replace(safety_stock=1)) == 1  # s itself is still bought
    assert plan(math.nan, 11, 12).safety_stock(default) == 1  # no forecast plan: the check alone decides
    assert plan(0.20, 11, 13).safety_stock(default.replace(safety_check_rule="max")) == 0
    assert plan(0.10, 11, 13).safety_stock(default.replace(safety_check_rule="max")) == 2
    assert plan(0.20, 11, 12).safety_stock(default.replace(ample_day_slack=1.0)) == 1
    assert plan(0.20, 11, 10).safety_stock(DynamicParams(safety_stock=1, safety_check_rule="below")) == 0
    with pytest.raises(ValueError, match="ample_day_slack"):
        DynamicParams(ample_day_slack=1.5)

    tiny = Problem("tiny", Depot("d", 0.0, 0.0, 0.0, 100.0), [Request("r", 10.0, 0.0, 1.0, 0.0, 50.0, 5.0)],
                   Fleet(capacity=5, max_vehicles=2))
    assert day_slack(tiny, Solution((AMRPlan((Trip(("r",), 0.0),)),))) == pytest.approx(0.75)
    assert math.isnan(day_slack(tiny, Solution(())))
    params = FAST.replace(safety_check_scenarios=2)
    model = dynamic_problem(solomon, params, np.random.default_rng(4))
    stage1 = stage1_plan(model, params, np.random.default_rng(4))
    assert 0.0 < stage1.day_slack < 1.0
    assert run_dynamic(solomon, "rules", seed=4, params=params, stage1=stage1,
                       hindsight=False).to_dict()["day_slack"] == pytest.approx(stage1.day_slack)
    # a time-ample day runs with ample_departure_share, a short one with departure_slack_share
    params = params.replace(departure_slack_share=0.5, ample_departure_share=0.1)
    for slack, share in ((0.9, 0.1), (0.01, 0.5), (math.nan, 0.5)):
        res = run_dynamic(solomon, "rules", seed=4, params=params, stage1=dataclasses.replace(stage1, day_slack=slack),
                          hindsight=False)
        assert res.params.departure_slack_share == share
        _assert_conserved(res)
    with pytest.raises(ValueError, match="ample_departure_share"):
        DynamicParams(ample_departure_share=-0.1)


@pytest.mark.parametrize("routes", ["known", "polish"])
def test_stage1_routes_replan_the_known_requests_on_the_forecast_fleet(solomon, routes):
    """``stage1_routes``: the forecast plan still sizes the fleet ``m1``; the known requests are then routed again on
    at most ``m1`` AMRs with the purchase sunk (fixed cost 0), which costs no more distance and lateness than the
    forecast plan's routes of them (``polish`` starts from those routes, ``known`` from a new construction)."""
    params = DynamicParams(stage1_iterations=60, stage1_routes="forecast")
    model = dynamic_problem(solomon, params, np.random.default_rng(1))
    known = known_requests(model)
    forecast = stage1_plan(model, params, np.random.default_rng(2))
    routed = stage1_plan(model, params.replace(stage1_routes=routes), np.random.default_rng(2))
    assert routed.amrs == forecast.amrs
    visited = [v for a in routed.solution.amrs for t in a.trips for v in t.visits]
    assert sorted(visited) == sorted(r.id for r in known.requests)
    assert check(known, routed.solution).feasible
    assert routed.solution.num_vehicles <= routed.amrs
    assert routed.solution != forecast.solution
    sunk = known.replace(fleet=dataclasses.replace(known.fleet, fixed_cost=0.0))
    assert check(sunk, routed.solution).cost < check(sunk, forecast.solution).cost
    res = run_dynamic(solomon, "rules", seed=2, params=FAST.replace(stage1_routes=routes), hindsight=False)
    _assert_conserved(res)
    with pytest.raises(ValueError, match="stage1_routes"):
        DynamicParams(stage1_routes="fleet")


def test_repair_ruin_improves_the_pending_parts(solomon):
    """``repair_ruin``: the repair after each decision also runs that many ruin-and-recreate steps; every pending
    request stays planned once, the committed targets are untouched, no violation is added, the time goes to
    ``reopt_times`` and, on the poor hand-made chains (relocation switched off), the cost falls."""
    costs = {}
    for ruin in (0, 40):
        policy, ch = _chain_state(solomon)
        policy.params = policy.params.replace(repair_ruin=ruin)
        policy.max_passes = 0  # no relocation: only the ruin and recreate can change the chains
        before_nodes = _pending_nodes(ch)
        before = policy._total(ch, range(3))
        committed = (ch.in_trip.copy(), ch.last.copy(), ch.t_dep.copy(), ch.load0.copy())
        changed = policy._repair(ch)
        after = policy._total(ch, range(3))
        assert _pending_nodes(ch) == before_nodes
        assert after[1] <= before[1] + 1e-9 and after[0] <= before[0] + 1e-9
        for old, new in zip(committed, (ch.in_trip, ch.last, ch.t_dep, ch.load0), strict=True):
            assert np.array_equal(old, new)
        assert len(policy.reopt_times) == 1
        costs[ruin] = (after[0], before[0], changed)
    assert costs[0][0] == costs[0][1] and not costs[0][2]
    assert costs[40][0] < costs[40][1] and costs[40][2]
    res = run_dynamic(solomon, "rules", seed=2, params=FAST.replace(repair_ruin=5), hindsight=False)
    _assert_conserved(res)
    with pytest.raises(ValueError, match="repair_ruin"):
        DynamicParams(repair_ruin=-1)


def test_known_routing_has_its_own_stream(solomon):
    """The routing of the known requests (``stage1_routes = "known"``) draws from its own stream: a setting that
    only changes how the forecast samples draw (here the forecast volume) leaves the routes alone when ``m1`` is
    the same, and a different seed moves them (common random numbers across settings)."""
    params = DynamicParams(stage1_iterations=60, safety_check_scenarios=0)
    model = dynamic_problem(solomon, params, np.random.default_rng(1))
    base = stage1_plan(model, params, np.random.default_rng(2))
    for scale in (0.8, 1.2):  # fewer or more forecast draws (with one stream both move these routes)
        other_volume = stage1_plan(model, params.replace(forecast_scale=scale), np.random.default_rng(2))
        assert other_volume.amrs == base.amrs
        assert other_volume.solution == base.solution
    other = stage1_plan(model, params, np.random.default_rng(3))
    assert other.amrs != base.amrs or other.solution != base.solution


def test_released_windows_open_no_earlier_than_a_reveal_allows():
    """``released_windows`` (a hindsight variant): a request revealed at ``r`` cannot be reached before ``r`` plus
    the shortest travel into it, so its window opens then (capped at its due time); requests known at the start
    keep their windows, and every reveal time becomes 0."""
    from hospital_or.dynamic.model import released_windows
    from hospital_or.problem import Depot, Fleet, Problem, Request

    requests = [Request("a", 10.0, 0.0, 1.0, 0.0, 90.0, 5.0, reveal=0.0),
                Request("b", 10.0, 4.0, 1.0, 20.0, 90.0, 5.0, reveal=30.0),  # nearest node: a, 4 away
                Request("c", 0.0, 50.0, 1.0, 0.0, 60.0, 5.0, reveal=58.0),  # 50 from the depot, due 60
                Request("d", 10.0, 2.0, 1.0, 80.0, 90.0, 5.0, reveal=10.0)]  # reveal long before ready
    problem = Problem("rel", Depot("depot", 0.0, 0.0, 0.0, 200.0), requests, Fleet(capacity=5, max_vehicles=2))
    released = released_windows(problem)
    assert [r.ready for r in released.requests] == pytest.approx([0.0, 32.0, 60.0, 80.0])
    assert [r.due for r in released.requests] == [r.due for r in requests]
    assert all(r.reveal == 0.0 for r in released.requests)
