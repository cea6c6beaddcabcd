"""Execute every notebook in ``notebooks/`` (they are part of the documentation and must keep running)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hospital_or.paths import SHARED_ENV, shared_instances_dir

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    """A notebook that raises in any cell fails here, so examples in the docs cannot rot."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    source = "\n".join(cell.source for cell in nb.cells)
    if "shared_instances_dir" in source and not (shared_instances_dir() / "solomon").is_dir():
        pytest.skip(f"{path.name} reads the benchmark data, not found at {shared_instances_dir()} (set {SHARED_ENV})")
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
