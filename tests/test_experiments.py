"""Experiment grids: spec parsing, a real LocalCluster run, kill-and-resume, report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from hospital_or.experiments import (
    GridError,
    finished_cells,
    grid_report,
    load_grid,
    load_results,
    parse_grid,
    run_cell,
    run_grid,
)

REPO = Path(__file__).resolve().parent.parent

GRID = """
name = "test"
seed = 11
replications = {reps}

[[instances]]
name = "day"
synthetic = {{ n_requests = {n}, n_amrs = 3, seed = 2, floors = 3, dynamism = 0.3 }}

[[strategies]]
name = "static"
plan = "nearest-neighbour"
known_only = true

[[strategies]]
name = "nearest-idle"
plan = "nearest-neighbour"
policy = "nearest-idle"
known_only = true

[parameters]
cv_travel = {cvs}
chargers_per_station = [1, 2]
"""


def _write_grid(folder: Path, reps=3, n=25, cvs="[0.1, 0.3]") -> Path:
    path = folder / "grid.toml"
    path.write_text(GRID.format(reps=reps, n=n, cvs=cvs), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def test_grid_cells_share_seeds_across_strategies(tmp_path):
    grid = load_grid(_write_grid(tmp_path))
    cells = grid.cells()
    assert len(cells) == 2 * 2 * 2
    assert len({c.cell_id for c in cells}) == len(cells)
    by_params = {}
    for c in cells:
        by_params.setdefault(c.parameter_set, set()).add(c.seed)
    assert all(len(seeds) == 1 for seeds in by_params.values())  # common random numbers across strategies
    assert len({next(iter(s)) for s in by_params.values()}) == 4  # different parameter sets, different seeds
    with pytest.raises(GridError, match="unknown parameter"):
        parse_grid({"seed": 1, "replications": 1, "instances": [], "strategies": [], "parameters": {"speed": 2}})
    with pytest.raises(GridError, match="unknown policy"):
        parse_grid(
            {
                "seed": 1,
                "replications": 1,
                "instances": [],
                "strategies": [{"plan": "nearest-neighbour", "policy": "magic"}],
            }
        )


def test_run_cell_is_deterministic(tmp_path):
    cell = load_grid(_write_grid(tmp_path)).cells()[1]
    timing = ["cell_seconds", "cell_cpu_seconds"]
    a, b = run_cell(cell), run_cell(cell)
    assert (a[timing] > 0).all().all()
    pd.testing.assert_frame_equal(a.drop(columns=timing), b.drop(columns=timing))
    assert len(a) == cell.replications and (a["cell_id"] == cell.cell_id).all()


def test_local_cluster_runs_grid_and_report(tmp_path, client):
    grid = _write_grid(tmp_path)
    out = tmp_path / "out"
    summary = run_grid(grid, out, client=client, progress=False)
    assert summary.ran == summary.total == 8 and summary.workers == 2
    results = load_results(out)
    assert len(results) == 8 * 3
    assert results.groupby("cell_id").size().eq(3).all()
    manifest = json.loads((out / "grid.json").read_text())
    assert manifest["version"] and len(manifest["cells"]) == 8 and (out / "grid.toml").exists()
    again = run_grid(grid, out, client=client, progress=False)
    assert again.ran == 0 and again.skipped == 8
    report = grid_report(out)
    assert report["cells"] == 8 and all(Path(p).exists() for p in report["plots"])
    rows = pd.DataFrame(report["summary"])
    assert set(rows["strategy"]) == {"static", "nearest-idle"}
    served = rows[rows["kpi"] == "service_rate"].groupby("strategy")["mean"].mean()
    assert served["nearest-idle"] > served["static"]  # dispatching revealed requests serves more of them


def test_cli_run_on_existing_scheduler_and_report_json(tmp_path, client, capsys):
    from hospital_or.cli import main

    grid = _write_grid(tmp_path, cvs="[0.2]")
    out = tmp_path / "out"
    address = client.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    run = ["experiment", "run", str(grid), "--out", str(out), "--scheduler", address, "--no-progress"]
    assert main(run) == 0
    assert len(finished_cells(out)) == 4
    assert main(["experiment", "report", str(out), "--format", "json", "--no-plots"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["cells"] == 4 and payload["replications"] == 12


def test_killed_run_resumes_without_duplicates(tmp_path, client):
    """Kill a CLI grid run midway (whole process group), resume it, and find every cell exactly once."""
    grid = _write_grid(tmp_path, reps=30, n=80, cvs="[0.05, 0.1, 0.2, 0.3]")
    out = tmp_path / "out"
    total = len(load_grid(grid).cells())
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hospital_or.cli",
            "experiment",
            "run",
            str(grid),
            "--out",
            str(out),
            "--workers",
            "1",
            "--no-progress",
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(finished_cells(out)) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    done = finished_cells(out)
    assert 2 <= len(done) < total, "the run should have been killed midway"
    before = {c: (out / "cells" / f"{c}.parquet").stat().st_mtime_ns for c in done}
    summary = run_grid(grid, out, client=client, progress=False)
    assert summary.skipped == len(done) and summary.ran == total - len(done)
    results = load_results(out)
    assert results["cell_id"].nunique() == total
    assert results.groupby("cell_id").size().eq(30).all()  # every cell exactly once, complete
    assert not results.duplicated(["cell_id", "replication"]).any()
    assert all((out / "cells" / f"{c}.parquet").stat().st_mtime_ns == t for c, t in before.items())
    assert not list((out / "cells").glob(".*.tmp"))
    assert json.loads((out / "grid.json").read_text())["resumed"]


def test_out_folder_of_another_grid_is_refused(tmp_path, client):
    out = tmp_path / "out"
    run_grid(_write_grid(tmp_path, reps=2, n=15, cvs="[0.2]"), out, client=client, progress=False)
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(ValueError, match="different grid"):
        run_grid(_write_grid(other, reps=3, n=15, cvs="[0.2]"), out, client=client, progress=False)
    assert len(load_results(out)) == 4 * 2  # the stored results are untouched


def test_strategy_parameters_apply_to_that_strategy_only():
    grid = parse_grid(
        {
            "seed": 3,
            "replications": 4,
            "instances": [{"name": "d", "synthetic": {"n_requests": 40, "n_amrs": 2, "seed": 5, "floors": 4}}],
            "strategies": [
                {"name": "one-car", "plan": "one-trip-per-request"},
                {"name": "no-queue", "plan": "one-trip-per-request", "parameters": {"elevator_cars": 0}},
            ],
        }
    )
    one, free = (run_cell(c) for c in grid.cells())
    assert one["seed"].iloc[0] == free["seed"].iloc[0]  # same random numbers
    assert (free["elevator_queue_time"] == 0).all() and (one["elevator_queue_time"] > 0).any()
    with pytest.raises(GridError, match="one value"):
        parse_grid(
            {
                "seed": 1,
                "replications": 1,
                "instances": [],
                "strategies": [{"plan": "vns", "parameters": {"beta": [0.8, 0.9]}}],
            }
        )
