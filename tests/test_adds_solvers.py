"""ADDS sequencing algorithms (solvers.sequencing): IP = evaluator, IP optimal, DP optimal per order, determinism."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hospital_or.adds import GeneratorConfig, Layout, evaluate, generate_instance, sequence_instance
from solvers.sequencing import (
    append_cost,
    check_sequence,
    cycle_times,
    dp_sequence,
    exact_travel_blocks,
    fcfs_sequence,
    greedy_sequence,
    random_sequence,
    shortest_path_window,
    solve_window,
    timing_recursion,
)

LAYOUTS = [Layout(1), Layout(2), Layout(2, "split", 1.5)]
LAYOUT_IDS = ["1io", "2io-adjacent", "2io-split-walk"]


def small_instance(seed: int, n_orders: int = 4, max_lines: int = 3):
    return generate_instance(GeneratorConfig(n_orders=n_orders, max_lines=max_lines), seed)


def blocked_permutations(blocks):
    for parts in itertools.product(*(itertools.permutations(b) for b in blocks)):
        yield [j for p in parts for j in p]


def window_objective(inst, layout, full_sequence, n_hist, n_cur, n_win, sorting, eps):
    """(1/K) sum_s F_n + eps F_{n_o} of the window, from the independent domain evaluator."""
    t = evaluate(inst, layout, full_sequence, sorting)
    return float(np.mean(t.finish[:, n_hist + n_win - 1] + eps * t.finish[:, n_hist + n_cur - 1]))


def window_setup(seed, layout, order=1):
    inst = small_instance(seed)
    arr = inst.to_arrays(layout)
    cyc = cycle_times(arr)
    rng = np.random.default_rng(seed)
    sorting = inst.sorting.sample(rng, (3, inst.n_lines))
    history = [int(j) for o in range(order) for j in rng.permutation(arr.order_lines(o))]
    ready, finish = timing_recursion(arr, cyc, history, sorting)
    blocks = [list(arr.order_lines(o)) for o in range(order, min(order + 2, arr.n_orders))]
    return inst, arr, cyc, sorting, history, ready, finish, blocks


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("seed", [1, 2])
def test_ip_objective_equals_evaluator(layout, seed):
    """With the window sequence fixed, the MILP objective equals the section-4 evaluator on the same scenarios."""
    inst, arr, cyc, sorting, history, ready, finish, blocks = window_setup(seed, layout, order=1)
    rng = np.random.default_rng(seed + 10)
    fixed = [int(j) for b in blocks for j in rng.permutation(b)]
    rest = [j for j in range(arr.n_lines) if j not in set(history) | set(fixed)]
    res = solve_window(arr, cyc, blocks, history, ready, finish, sorting, eps=0.01, fixed=fixed)
    assert res.sequence == fixed
    expected = window_objective(inst, layout, history + fixed + rest, len(history), len(blocks[0]), len(fixed),
                                sorting, 0.01)
    assert res.objective == pytest.approx(expected, rel=1e-7, abs=1e-6)


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("order", [0, 2])
def test_ip_window_is_optimal(layout, order):
    """The window optimum equals the best of all order-blocked window sequences (brute force on small orders)."""
    inst, arr, cyc, sorting, history, ready, finish, blocks = window_setup(3, layout, order=order)
    res = solve_window(arr, cyc, blocks, history, ready, finish, sorting, eps=0.01)
    n_cur, n_win = len(blocks[0]), sum(len(b) for b in blocks)
    best = np.inf
    for perm in blocked_permutations(blocks):
        rest = [j for j in range(arr.n_lines) if j not in set(history) | set(perm)]
        best = min(best, window_objective(inst, layout, history + perm + rest, len(history), n_cur, n_win,
                                          sorting, 0.01))
    assert res.objective == pytest.approx(best, rel=1e-6)
    rest = [j for j in range(arr.n_lines) if j not in set(history) | set(res.sequence)]
    got = window_objective(inst, layout, history + res.sequence + rest, len(history), n_cur, n_win, sorting, 0.01)
    assert got == pytest.approx(res.objective, rel=1e-7)


def test_ip_cbc_matches_highs():
    _inst, arr, cyc, sorting, history, ready, finish, blocks = window_setup(4, Layout(2), order=1)
    a = solve_window(arr, cyc, blocks, history, ready, finish, sorting, solver="highs")
    b = solve_window(arr, cyc, blocks, history, ready, finish, sorting, solver="cbc")
    assert a.objective == pytest.approx(b.objective, rel=1e-6)


def test_one_io_ip_equals_shortest_path():
    """With one I/O point the window IP and the shortest-path special case have the same optimum."""
    _inst, arr, cyc, sorting, history, ready, finish, blocks = window_setup(5, Layout(1), order=1)
    res = solve_window(arr, cyc, blocks, history, ready, finish, sorting, eps=0.0)
    path, travel = shortest_path_window(arr, cyc, 1, history)
    constant = finish[:, -1].mean() + sorting[:, [j for b in blocks for j in b]].mean(axis=0).sum()
    assert res.objective == pytest.approx(constant + travel, rel=1e-7)
    check_path = history + path
    assert sorted(path) == sorted(j for b in blocks for j in b)
    assert len(check_path) == len(set(check_path))


@pytest.mark.parametrize("n_io", [1, 2])
@pytest.mark.parametrize("seed", range(4))
def test_dp_is_optimal_per_order(n_io, seed):
    """Held-Karp per order = brute force over the order's permutations (robot cycle time after the history)."""
    inst = small_instance(seed, n_orders=3, max_lines=5)
    arr = inst.to_arrays(Layout(n_io))
    cyc = cycle_times(arr)
    rng = np.random.default_rng(seed)
    for o in range(arr.n_orders):
        history = [int(j) for q in range(o) for j in rng.permutation(arr.order_lines(q))]
        seq, cost = exact_travel_blocks(cyc, n_io, [arr.order_lines(o)], history)

        def total(perm, history=history):
            full = list(history)
            c = 0.0
            for j in perm:
                p = len(full) + 1
                c += append_cost(cyc, n_io, p, full[-1] if full else -1, full[-2] if len(full) > 1 else -1, j)
                full.append(j)
            return c

        brute = min(total(p) for p in itertools.permutations(arr.order_lines(o)))
        assert cost == pytest.approx(brute, abs=1e-9)
        assert total(seq) == pytest.approx(cost, abs=1e-9)


@pytest.mark.parametrize("n_io", [1, 2])
def test_baselines_are_valid_and_deterministic(n_io):
    inst = small_instance(7, n_orders=6, max_lines=5)
    arr = inst.to_arrays(Layout(n_io))
    cyc = cycle_times(arr)
    for seq in (fcfs_sequence(arr), greedy_sequence(arr, cyc), dp_sequence(arr, cyc),
                random_sequence(arr, np.random.default_rng(1))):
        check_sequence(arr, seq)
    again = [random_sequence(arr, np.random.default_rng(3)) for _ in range(2)]
    assert np.array_equal(*again)
    # greedy takes the cheapest next cycle at every step
    seq = list(greedy_sequence(arr, cyc))
    for k, j in enumerate(seq):
        o = np.searchsorted(arr.order_start, j, side="right") - 1
        remaining = [i for i in arr.order_lines(o) if i not in seq[:k]]
        prev = seq[k - 1] if k else -1
        prev2 = seq[k - 2] if k > 1 else -1
        costs = [append_cost(cyc, n_io, k + 1, prev, prev2, i) for i in remaining]
        assert append_cost(cyc, n_io, k + 1, prev, prev2, j) == pytest.approx(min(costs))


def test_check_sequence_rejects_bad_sequences():
    arr = small_instance(1).to_arrays(Layout(1))
    with pytest.raises(ValueError):
        check_sequence(arr, np.arange(arr.n_lines)[::-1])
    with pytest.raises(ValueError):
        check_sequence(arr, np.arange(arr.n_lines - 1))


@pytest.mark.parametrize("layout", [Layout(1), Layout(2)], ids=["1io", "2io"])
def test_rolling_ip_deterministic_by_seed_and_not_worse_in_window(layout):
    inst = small_instance(8, n_orders=5)
    a = sequence_instance(inst, layout, "ip", np.random.default_rng(5), n_plan=3)
    b = sequence_instance(inst, layout, "ip", np.random.default_rng(5), n_plan=3)
    assert np.array_equal(a, b)
    arr = inst.to_arrays(layout)
    check_sequence(arr, a)
    if layout.n_io == 1:  # one I/O point: the rolling IP equals the rolling shortest path in travel
        from solvers.sequencing import rolling_shortest_path

        s = rolling_shortest_path(arr, cycle_times(arr))
        mean = np.full(inst.n_lines, inst.sorting.mean)
        assert evaluate(inst, layout, a, mean).apt_mean == pytest.approx(evaluate(inst, layout, s, mean).apt_mean)


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
def test_ip_position_scenarios_equal_evaluator_and_are_optimal(layout):
    """Position-indexed scenarios: objective = evaluator with those times given to the lines placed there."""
    inst, arr, cyc, _sorting, history, _ready, _finish, blocks = window_setup(6, layout, order=1)
    rng = np.random.default_rng(2)
    pos_s = inst.sorting.sample(rng, (3, inst.n_lines))  # column p: the bin at global position p + 1
    line_s = np.zeros_like(pos_s)
    line_s[:, history] = pos_s[:, : len(history)]
    ready, finish = timing_recursion(arr, cyc, history, line_s)
    n_hist, n_cur, n_win = len(history), len(blocks[0]), sum(len(b) for b in blocks)
    window_pos = pos_s[:, n_hist : n_hist + n_win]

    def objective(perm):
        full = history + list(perm) + [j for j in range(arr.n_lines) if j not in set(history) | set(perm)]
        s = np.zeros_like(pos_s)
        s[:, full] = pos_s
        return window_objective(inst, layout, full, n_hist, n_cur, n_win, s, 0.01)

    fixed = [int(j) for b in blocks for j in rng.permutation(b)]
    res = solve_window(arr, cyc, blocks, history, ready, finish, line_s, fixed=fixed, position_sorting=window_pos)
    assert res.objective == pytest.approx(objective(fixed), rel=1e-7)
    best = solve_window(arr, cyc, blocks, history, ready, finish, line_s, position_sorting=window_pos)
    assert best.objective == pytest.approx(min(objective(p) for p in blocked_permutations(blocks)), rel=1e-6)
