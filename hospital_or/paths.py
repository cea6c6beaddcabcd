"""Where the package finds data: its own instances and the shared benchmark folder."""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable that points to the shared benchmark folder (Solomon, E-VRPTW, dynamic Solomon).
SHARED_ENV = "HOSPITAL_OR_SHARED_INSTANCES"

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_INSTANCES = REPO_ROOT / "instances"


def shared_instances_dir() -> Path:
    """The shared benchmark folder: ``$HOSPITAL_OR_SHARED_INSTANCES`` or ``../shared/instances`` beside the repo."""
    env = os.environ.get(SHARED_ENV)
    if env:
        return Path(env)
    return REPO_ROOT.parent / "shared" / "instances"
