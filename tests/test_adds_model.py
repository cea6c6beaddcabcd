"""ADDS domain: geometry, sorting laws, generator, independent evaluator, SimPy model, JSON, plots."""

from __future__ import annotations

import dataclasses
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital_or.adds import (
    GeneratorConfig,
    Instance,
    Layout,
    Rack,
    SortingTime,
    evaluate,
    generate_instance,
    sequence_instance,
    simulate,
)
from hospital_or.adds.experiment import CompareConfig, ci95_half_width, run_compare, t_quantile_975
from hospital_or.adds.plots import plot_apt, plot_gantt, plot_rack_heatmap
from hospital_or.exceptions import InstanceFormatError, InvalidProblemError
from solvers.sequencing import cycle_times, random_sequence, timing_recursion

LAYOUTS = [Layout(1), Layout(2), Layout(2, "split", 2.0)]
LAYOUT_IDS = ["1io", "2io-adjacent", "2io-split-walk"]


def test_travel_model_matches_bozer_white():
    """The default rack reproduces the continuous-rack expectations E[SC] and E[DC] (travel only) within 1 %."""
    rack = Rack()
    x, y = rack.slot_xy(np.arange(rack.n_slots))
    t_h, t_v = rack.columns * rack.slot_width / rack.v_x, rack.levels * rack.slot_height / rack.v_y
    big_t, b = max(t_h, t_v), min(t_h, t_v) / max(t_h, t_v)
    sc = 2 * rack.travel(0, 0, x, y)
    dc = rack.travel(0, 0, x[:, None], y[:, None]) + rack.travel(x[:, None], y[:, None], x, y) + rack.travel(x, y, 0, 0)
    assert sc.mean() == pytest.approx(big_t * (1 + b**2 / 3), rel=0.01)
    assert dc.mean() == pytest.approx(big_t * (4 / 3 + b**2 / 2 - b**3 / 30), rel=0.01)


@pytest.mark.parametrize("dist", ["lognormal", "exponential", "truncnormal", "uniform", "deterministic"])
def test_sorting_time_laws(dist):
    law = SortingTime(dist, 12.0, 0.3)
    s = law.sample(np.random.default_rng(1), 200_000)
    assert s.min() >= 0
    assert s.mean() == pytest.approx(12.0, rel=0.01)
    cv = {"exponential": 1.0, "deterministic": 0.0}.get(dist, 0.3)
    assert s.std() / s.mean() == pytest.approx(cv, abs=0.01)
    # common random numbers across levels: same generator state -> proportional paths
    if dist != "truncnormal":
        a = law.sample(np.random.default_rng(4), 50)
        b = law.with_mean(25.0).sample(np.random.default_rng(4), 50)
        assert np.allclose(b, a * 25.0 / 12.0)


def test_invalid_parameters_raise():
    with pytest.raises(InvalidProblemError):
        SortingTime("gamma")
    with pytest.raises(InvalidProblemError):
        SortingTime("uniform", 10, 0.9)
    with pytest.raises(InvalidProblemError):
        Layout(3)
    with pytest.raises(InvalidProblemError):
        Instance("x", Rack(), (0, 0), ((0,),))
    with pytest.raises(InvalidProblemError):
        Instance("x", Rack(), (0, 1), ((0, 0),))


def test_generator_deterministic_and_well_formed():
    cfg = GeneratorConfig(n_orders=40)
    a, b = generate_instance(cfg, 11), generate_instance(cfg, 11)
    assert a == b
    assert a != generate_instance(cfg, 12)
    assert all(1 <= len(o) <= cfg.max_lines for o in a.orders)
    assert not a.consecutive_conflicts()
    assert sum(a.popularity) == pytest.approx(1.0)
    coi = generate_instance(dataclasses.replace(cfg, storage="coi"), 11)
    rack = coi.rack
    x, y = rack.slot_xy(np.asarray(coi.storage))
    sc = rack.travel(0, 0, x, y)
    top = int(np.argmax(coi.popularity))
    assert sc[top] == pytest.approx(sc.min())
    pois = generate_instance(dataclasses.replace(cfg, lines="poisson", max_lines=8), 3)
    assert max(len(o) for o in pois.orders) <= 8


def test_json_round_trip(tmp_path):
    inst = generate_instance(GeneratorConfig(n_orders=5), 2)
    path = tmp_path / "i.json"
    inst.save(path)
    assert Instance.load(path) == inst
    (tmp_path / "bad.json").write_text(json.dumps({"format": "hospital-or-adds/1", "name": "x"}))
    with pytest.raises(InstanceFormatError):
        Instance.load(tmp_path / "bad.json")
    (tmp_path / "bad2.json").write_text("{not json")
    with pytest.raises(InstanceFormatError):
        Instance.load(tmp_path / "bad2.json")


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_evaluator_matches_solver_recursion(layout, seed):
    """The domain evaluator and the solvers' recursion are written separately and must agree."""
    inst = generate_instance(GeneratorConfig(n_orders=12), seed)
    arr = inst.to_arrays(layout)
    seq = random_sequence(arr, np.random.default_rng(seed))
    s = inst.sorting.sample(np.random.default_rng(seed + 1), (5, inst.n_lines))
    t = evaluate(inst, layout, seq, s)
    ready, finish = timing_recursion(arr, cycle_times(arr), seq, s)
    assert np.allclose(t.ready, ready, atol=1e-9)
    assert np.allclose(t.finish, finish, atol=1e-9)
    assert np.all(np.diff(t.order_completion, axis=1) > 0)
    assert t.apt == pytest.approx(t.order_completion[:, -1] / inst.n_orders)
    assert 0.0 <= t.pharmacist_idle_share < 1.0
    assert 0.0 < t.robot_utilisation <= 1.0


def test_evaluator_hand_computed():
    """Two single-line orders, slot (0,0) centre (0.2, 0.15): t(IO, slot) = max(0.2/1, 0.15/0.5) = 0.3 s."""
    inst = Instance("hand", Rack(), (0, 1), ((0,), (1,)), SortingTime("deterministic", 5.0, 0.0))
    t1 = evaluate(inst, Layout(1), [0, 1], [5.0, 5.0])
    # R1 = 2*0.3 + 2 = 2.6, F1 = 7.6; DC(0,1): t(IO,p0)=0.3, t(p0,p1)=0.4, t(p1,IO)=max(0.6,0.3)=0.6 -> 5.3
    assert t1.finish[0].tolist() == pytest.approx([7.6, 7.6 + 5.3 + 5.0])
    t2 = evaluate(inst, Layout(2), [0, 1], [5.0, 5.0])
    # R2 = R1 + t(A,p1) + t(p1,B) + 2 = 2.6 + 0.6 + max(0.2,0.3) + 2 = 5.5 ; F2 = max(5.5, 7.6) + 5
    assert t2.finish[0].tolist() == pytest.approx([7.6, 12.6])


def test_evaluator_rejects_bad_sequences():
    inst = Instance("c", Rack(), (0, 1, 2), ((0, 1), (1, 2)))
    with pytest.raises(ValueError):
        evaluate(inst, Layout(1), [2, 0, 1, 3], np.ones(4))
    with pytest.raises(ValueError):
        evaluate(inst, Layout(2), [0, 1, 2, 3], np.ones(4))  # drug 1 at positions 2 and 3
    evaluate(inst, Layout(1), [0, 1, 2, 3], np.ones(4))  # fine with one I/O point
    with pytest.raises(InvalidProblemError):
        sequence_instance(inst, Layout(2), "fcfs")


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("method", ["dp", "random"])
def test_simulation_equals_evaluator_for_deterministic_times(layout, method):
    inst = generate_instance(GeneratorConfig(n_orders=15), 5)
    seq = sequence_instance(inst, layout, method, np.random.default_rng(2))
    for s in (np.full(inst.n_lines, 12.0), inst.sorting.sample(np.random.default_rng(9), inst.n_lines)):
        sim = simulate(inst, layout, seq, s)
        t = evaluate(inst, layout, seq, s)
        assert np.allclose(sim.ready, t.ready[0], atol=1e-9, rtol=0)
        assert np.allclose(sim.finish, t.finish[0], atol=1e-9, rtol=0)
        assert sim.apt == pytest.approx(t.apt_mean, abs=1e-9)
    robot = sum(a.end - a.start for a in sim.activities if a.resource == "robot" and a.kind != "wait")
    moves = _moves(inst, layout) if layout.n_io == 2 else 0.0
    assert robot == pytest.approx(t.robot_cycle.sum() + moves, abs=1e-6)


def _moves(inst, layout):
    a, b = layout.io_points(inst.rack)
    return (inst.n_lines - 2) * inst.rack.travel(a[0], a[1], b[0], b[1])


def test_t_quantile_and_ci():
    assert t_quantile_975(29) == pytest.approx(2.04523, abs=1e-4)
    assert t_quantile_975(4) == pytest.approx(2.77645, abs=2e-3)
    assert t_quantile_975(1) == pytest.approx(12.7062, abs=1e-3)
    assert np.isnan(ci95_half_width([1.0]))
    assert ci95_half_width([1.0, 2.0, 3.0]) == pytest.approx(4.302653 * 1.0 / np.sqrt(3), rel=1e-6)


def test_compare_is_deterministic_and_plots():
    cfg = CompareConfig(n_instances=2, sorting_means=(4.0, 25.0), methods=("dp", "greedy", "random"), n_eval=20,
                        generator=GeneratorConfig(n_orders=6))
    a, b = run_compare(cfg), run_compare(cfg)
    timing = ["sequencing_seconds_mean"]
    assert a.summary.drop(columns=timing).equals(b.summary.drop(columns=timing))
    assert len(a.summary) == 2 * 2 * 3
    rows = a.rows()
    assert {"layout", "method", "sorting_mean_s", "apt_mean_s", "apt_ci95_s", "n_instances"} <= set(rows[0])
    # more sorting time -> longer picking, for every layout and method (common random numbers)
    piv = a.summary.pivot_table(index=["layout", "method"], columns="sorting_mean_s", values="apt_mean_s")
    assert (piv[25.0] > piv[4.0]).all()
    inst = generate_instance(GeneratorConfig(n_orders=6), 1)
    sim = simulate(inst, Layout(2), sequence_instance(inst, Layout(2), "greedy"), np.full(inst.n_lines, 12.0))
    for ax in (plot_rack_heatmap(inst, layout=Layout(2)), plot_rack_heatmap(inst, by="orders"),
               plot_apt(a.summary), plot_apt(rows, sorting_mean=4.0), plot_gantt(sim, t_max=60)):
        assert ax.has_data()
        plt.close(ax.figure)


@given(
    seed=st.integers(0, 10_000),
    n_io=st.sampled_from([1, 2]),
    placement=st.sampled_from(["adjacent", "split"]),
    walk=st.sampled_from([0.0, 1.0]),
    mean=st.sampled_from([0.0, 4.0, 25.0]),
)
def test_property_evaluator_recursion_simulation_agree(seed, n_io, placement, walk, mean):
    inst = generate_instance(GeneratorConfig(n_orders=6, sorting=SortingTime("exponential", mean, 1.0)), seed)
    layout = Layout(n_io, placement, walk)
    arr = inst.to_arrays(layout)
    seq = random_sequence(arr, np.random.default_rng(seed))
    s = inst.sorting.sample(np.random.default_rng(seed), inst.n_lines)
    t = evaluate(inst, layout, seq, s)
    _ready, finish = timing_recursion(arr, cycle_times(arr), seq, s[None, :])
    sim = simulate(inst, layout, seq, s)
    assert np.allclose(t.finish[0], finish[0], atol=1e-9)
    assert np.allclose(sim.finish, t.finish[0], atol=1e-9)
    assert np.all(t.ready[0] <= t.finish[0] - s[seq] + 1e-9)
