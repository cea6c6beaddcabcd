"""Run an experiment grid on Dask distributed with an atomic, resumable result store.

Store layout (``out`` folder):

- ``grid.json``: the resolved grid, every cell with its seed, the package version and the creation time;
- ``grid.toml``: a copy of the grid file when run from a file;
- ``cells/<cell_id>.parquet``: one file per **finished** cell (one row per replication). A file is written to a
  temporary name in the same folder and renamed (``os.replace``, atomic on POSIX), so a cell file is either complete
  or absent. A rerun skips cells whose file exists: an interrupted run resumes with nothing duplicated and nothing
  lost. Left-over temporary files of a killed run are removed at the next start.

Cells run on Dask workers (:func:`run_cell`); the client writes the finished cells, so workers need no access to
the output folder (they do need the instance files when the grid names files).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from hospital_or import __version__
from hospital_or.experiments.grid import CellSpec, GridSpec, apply_parameters, build_plan, load_grid
from hospital_or.simulation.kpis import replicate

__all__ = ["GridRunSummary", "finished_cells", "run_cell", "run_grid"]

CELLS_DIR = "cells"
MANIFEST = "grid.json"


@dataclass(frozen=True)
class GridRunSummary:
    """What a :func:`run_grid` call did."""

    total: int
    skipped: int
    ran: int
    seconds: float  # wall-clock time of the cell computations (cluster start-up excluded)
    workers: int


def run_cell(cell: CellSpec) -> pd.DataFrame:
    """Simulate one cell: build the instance and the plan, run the replications, return one row per replication.

    Columns: ``cell_id, instance, strategy, plan, policy, parameter_set, seed, replication``, one column per grid
    parameter (prefixed ``param_``), the KPIs, and ``cell_seconds``/``cell_cpu_seconds`` (wall-clock and CPU time of
    the whole cell on its worker, plan construction included; the same value on every row of the cell).
    """
    wall, cpu = time.perf_counter(), time.process_time()
    problem = cell.instance.load()
    params = dict(cell.parameters)
    problem, config = apply_parameters(problem, {**params, **dict(cell.strategy.parameters)})
    plan = build_plan(problem, cell.strategy.plan, cell.strategy.known_only)
    result = replicate(
        problem, plan, cell.strategy.policy, replications=cell.replications, seed=cell.seed, config=config
    )
    frame = result.kpis
    meta = {
        "cell_id": cell.cell_id,
        "instance": cell.instance.name,
        "strategy": cell.strategy.name,
        "plan": Path(cell.strategy.plan).name if os.sep in cell.strategy.plan else cell.strategy.plan,
        "policy": cell.strategy.policy,
        "parameter_set": cell.parameter_set,
        "seed": int(cell.seed),
        **{f"param_{k}": v for k, v in params.items()},
    }
    for k, v in reversed(meta.items()):
        frame.insert(0, k, v)
    frame["cell_seconds"] = time.perf_counter() - wall
    frame["cell_cpu_seconds"] = time.process_time() - cpu
    return frame


def finished_cells(out: str | Path) -> set[str]:
    """Ids of the cells already stored in ``out``."""
    folder = Path(out) / CELLS_DIR
    if not folder.is_dir():
        return set()
    return {p.name[: -len(".parquet")] for p in folder.glob("*.parquet") if not p.name.startswith(".")}


def _write_atomic(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp, index=False)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _write_manifest(spec: GridSpec, cells: list[CellSpec], out: Path, grid_text: str | None) -> None:
    manifest = {
        "grid": spec.to_dict(),
        "cells": [c.to_dict() for c in cells],
        "package": "hospital-or",
        "version": __version__,
    }
    path = out / MANIFEST
    if path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
        if old.get("grid") != manifest["grid"]:
            raise ValueError(
                f"{out} holds results of a different grid ({old.get('grid', {}).get('name')!r}); "
                "use another --out folder"
            )
        manifest["created"] = old.get("created")
        manifest["resumed"] = [*old.get("resumed", []), datetime.now(UTC).isoformat(timespec="seconds")]
    else:
        manifest["created"] = datetime.now(UTC).isoformat(timespec="seconds")
    tmp = path.with_name(f".{MANIFEST}.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)
    if grid_text is not None and not (out / "grid.toml").exists():
        (out / "grid.toml").write_text(grid_text, encoding="utf-8")


def run_grid(
    grid: GridSpec | str | Path,
    out: str | Path,
    *,
    scheduler: str | None = None,
    n_workers: int = 2,
    progress: bool = True,
    client: Any = None,
) -> GridRunSummary:
    """Run every unfinished cell of ``grid`` on Dask and store each finished cell atomically in ``out``.

    Parameters
    ----------
    grid
        A :class:`GridSpec` or the path of a grid TOML file.
    out
        Result folder (created; see the module docstring for its layout).
    scheduler
        Address of an existing Dask scheduler (``tcp://host:port``); default: a :class:`distributed.LocalCluster`
        with ``n_workers`` single-threaded worker processes on 127.0.0.1.
    n_workers
        Workers of the local cluster.
    progress
        Show a progress bar (rich) on stderr.
    client
        An existing :class:`distributed.Client` to use instead (takes precedence over ``scheduler``).

    Returns
    -------
    GridRunSummary
        Cell counts and the computation wall-clock time.
    """
    grid_text = None
    if not isinstance(grid, GridSpec):
        grid_text = Path(grid).read_text(encoding="utf-8")
        grid = load_grid(grid)
    out = Path(out)
    (out / CELLS_DIR).mkdir(parents=True, exist_ok=True)
    for stale in (out / CELLS_DIR).glob(".*.tmp"):
        stale.unlink(missing_ok=True)
    cells = grid.cells()
    _write_manifest(grid, cells, out, grid_text)
    done = finished_cells(out)
    pending = [c for c in cells if c.cell_id not in done]
    if not pending:
        return GridRunSummary(len(cells), len(cells), 0, 0.0, 0)

    from distributed import Client, LocalCluster, as_completed

    with contextlib.ExitStack() as stack:
        if client is None:
            if scheduler:
                client = stack.enter_context(Client(scheduler))
            else:
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=n_workers,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address=None,
                        silence_logs=logging.ERROR,
                    )
                )
                client = stack.enter_context(Client(cluster))
        workers = len(client.scheduler_info().get("workers", {}))
        client.run(_warm_up)  # import the simulator on every worker before the clock starts
        start = time.perf_counter()
        futures = client.map(run_cell, pending, key=[f"cell-{c.cell_id}-{c.seed}" for c in pending], pure=False)
        bar = stack.enter_context(_progress(len(cells), len(done), progress))
        for future in as_completed(futures):
            frame = future.result()
            cell_id = str(frame["cell_id"].iloc[0])
            _write_atomic(frame, out / CELLS_DIR / f"{cell_id}.parquet")
            bar(cell_id)
            future.release()
        seconds = time.perf_counter() - start
    return GridRunSummary(len(cells), len(cells) - len(pending), len(pending), seconds, workers)


def _warm_up() -> None:
    """Do nothing: unpickling this function on a worker imports this module and with it the simulator."""


@contextlib.contextmanager
def _progress(total: int, completed: int, enabled: bool):
    """A callable advancing a rich progress bar by one cell (a no-op when disabled)."""
    if not enabled:
        yield lambda _name: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("cells"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task("", total=total, completed=completed)
        yield lambda name: bar.update(task, advance=1, description=name)
