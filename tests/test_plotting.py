"""Plots: every function returns its Axes, draws what it should and saves a PNG (Agg backend, nothing shown)."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from hospital_or.checker import check
from hospital_or.generators import generate_hospital, hospital_preset, single_trip_plan
from hospital_or.plotting import GANTT_COLOURS, plot_gantt, plot_instance, plot_routes, plot_soc
from hospital_or.problem import Depot, Fleet, Problem, Request, Station
from hospital_or.report import Report, TripRecord, VisitRecord
from hospital_or.solution import AMRPlan, Solution, Trip

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def hospital():
    problem = generate_hospital(hospital_preset("small"), seed=2)
    plan = single_trip_plan(problem)
    return problem, plan, check(problem, plan, respect_reveal_times=True)


@pytest.fixture(scope="module")
def flat():
    """A one-floor problem with a battery and a station, a plan that visits the station, and its report."""
    depot = Depot("D", 0.0, 0.0, ready=0.0, horizon=400.0)
    requests = [
        Request("a", 30.0, 0.0, demand=2, ready=0, due=300, service=5, priority=1),
        Request("b", 30.0, 30.0, demand=2, ready=0, due=300, service=5, priority=2, reveal=10.0),
        Request("c", -20.0, 10.0, demand=3, ready=50, due=350, service=5, priority=3),
    ]
    fleet = Fleet(capacity=5, max_vehicles=2, max_trips=2, battery_capacity=100.0, energy_per_distance=1.0,
                  recharge_rate=0.5, min_soc_fraction=0.1, depot_charging=True, depot_turnaround=5.0)
    problem = Problem("flat", depot, requests, fleet, stations=(Station("S", 35.0, 15.0),))
    plan = Solution((AMRPlan((Trip(("a", "S", "b")), Trip(("c",)))),), rejected=())
    report = check(problem, plan)
    assert report.feasible, report.violations
    return problem, plan, report


def _png(ax, path) -> bytes:
    ax.figure.savefig(path, dpi=60)
    plt.close(ax.figure)
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 2000
    return data


def _bars(ax) -> dict:
    return {c.get_gid(): c for c in ax.collections if c.get_gid()}


def test_plot_instance_building_view(hospital, tmp_path):
    problem, _, _ = hospital
    ax = plot_instance(problem, annotate=True)
    labels = ax.get_legend_handles_labels()[1]
    assert "charging station" in labels and any(lbl.startswith("depot") for lbl in labels)
    for priority in {r.priority for r in problem.requests}:
        assert any(lbl.startswith(f"priority {priority}") for lbl in labels)
    # every request is drawn once (static filled + dynamic hollow markers)
    drawn = sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, matplotlib.collections.PathCollection))
    assert drawn == problem.n_requests + problem.n_stations + 1
    # floors are stacked: the request on the highest floor is drawn above the depot
    top = max(problem.requests, key=lambda r: r.floor)
    ys = [y for c in ax.collections for _, y in c.get_offsets()]
    assert max(ys) > problem.depot.y + top.floor * 10
    assert "dynamic" in ax.get_title()
    _png(ax, tmp_path / "instance.png")


def test_plot_instance_uses_the_given_axes(flat, tmp_path):
    problem, _, _ = flat
    _fig, axes = plt.subplots(1, 2)
    ax = plot_instance(problem, ax=axes[1])
    assert ax is axes[1]
    assert ax.get_xlabel() == "x"  # flat problem: plain coordinates
    _png(ax, tmp_path / "flat.png")


def test_plot_routes_one_colour_per_amr_and_styles_per_trip(hospital, flat, tmp_path):
    problem, plan, _ = hospital
    ax = plot_routes(problem, plan)
    route_lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) >= 3]
    assert len(route_lines) == plan.num_trips
    colours = {tuple(ln.get_color()) for ln in route_lines}
    assert len(colours) == plan.num_vehicles
    assert {"-", "--"} <= {ln.get_linestyle() for ln in route_lines}
    _png(ax, tmp_path / "routes.png")

    problem, plan, _ = flat
    with_rejection = problem.replace(rejection_costs=(100.0, 50.0, 10.0))
    partial = Solution(plan.amrs[:1], rejected=()).replace(
        amrs=(AMRPlan((Trip(("a", "S", "b")),)),), rejected=("c",)
    )
    ax = plot_routes(with_rejection, partial)
    labels = ax.get_legend_handles_labels()[1] + [t.get_text() for t in ax.get_legend().get_texts()]
    assert "station visited" in labels and "rejected" in labels
    # the station visit is on the route polyline
    line = next(ln for ln in ax.get_lines() if len(ln.get_xdata()) >= 3)
    assert 35.0 in list(line.get_xdata())
    _png(ax, tmp_path / "routes_flat.png")


def test_plot_gantt_draws_each_activity(flat, tmp_path):
    problem, _, report = flat
    ax = plot_gantt(problem, report)
    bars = _bars(ax)
    for kind in ("driving", "service", "charging", "turnaround"):
        assert f"{kind}:0" in bars, kind
        assert matplotlib.colors.to_hex(bars[f"{kind}:0"].get_facecolor()[0]) == GANTT_COLOURS[kind]
    # AMR 0 serves three requests of 5 time units each; it charges at the station and at the depot
    widths = [p.get_extents().width for p in bars["service:0"].get_paths()]
    assert widths == pytest.approx([5.0, 5.0, 5.0])
    assert len(bars["charging:0"].get_paths()) == 2
    assert ax.get_yticklabels()[0].get_text() == "AMR 0"
    _png(ax, tmp_path / "gantt.png")


def test_plot_gantt_and_soc_on_a_hospital_day(hospital, tmp_path):
    problem, _plan, report = hospital
    ax = plot_gantt(problem, report)
    assert len(ax.get_yticks()) == report.vehicles
    assert ax.xaxis.get_major_formatter()(7 * 3600, 0) == "07:00"
    _png(ax, tmp_path / "gantt_hospital.png")
    ax = plot_soc(problem, report)
    assert len([ln for ln in ax.get_lines() if len(ln.get_xdata()) > 2]) == report.vehicles
    _png(ax, tmp_path / "soc_hospital.png")


def test_plot_soc_follows_the_report(flat, tmp_path):
    problem, _, report = flat
    _fig, ax0 = plt.subplots()
    ax = plot_soc(problem, report, ax=ax0, hours=False)
    assert ax is ax0
    curve = next(ln for ln in ax.get_lines() if len(ln.get_xdata()) > 2)
    socs = list(curve.get_ydata())
    visits = [v for t in report.schedule for v in t.visits]
    lowest = min(v.soc_arrival for v in visits)
    assert min(socs) == pytest.approx(lowest)
    assert max(socs) == pytest.approx(problem.fleet.battery_capacity)  # full again at the station
    assert any(ln.get_ydata()[0] == pytest.approx(10.0) for ln in ax.get_lines())  # the minimum line
    _png(ax, tmp_path / "soc.png")


def test_plots_accept_a_hand_built_report_and_no_battery(tmp_path):
    depot = Depot("0", 0.0, 0.0, ready=0.0, horizon=100.0)
    problem = Problem("hand", depot, [Request("1", 10.0, 0.0, demand=1, ready=20, due=60, service=5)],
                      Fleet(capacity=5, max_vehicles=1))
    visits = (
        VisitRecord(0, 0, 0, "1", "request", 10.0, 20.0, 10.0, 25.0, 1.0, math.inf, math.inf, 0.0, 0.0),
        VisitRecord(0, 0, 1, "0", "depot", 35.0, 35.0, 0.0, 35.0, 0.0, math.inf, math.inf, 0.0, 0.0),
    )
    report = Report(True, 1, 1, 20.0, 20.0, {"fleet": 0.0, "distance": 20.0}, [],
                    [TripRecord(0, 0, 0.0, 35.0, 20.0, 1.0, visits)], served=1)
    ax = plot_gantt(problem, report)
    bars = _bars(ax)
    assert set(bars) == {"driving:0", "waiting:0", "service:0"}
    assert [p.get_extents().width for p in bars["waiting:0"].get_paths()] == pytest.approx([10.0])
    _png(ax, tmp_path / "hand_gantt.png")
    ax = plot_soc(problem, report)
    assert "no battery" in ax.texts[0].get_text()
    _png(ax, tmp_path / "hand_soc.png")
