"""Where benchmark data lives: ``../shared/data`` from the repository root, or
``$AECODEC_DATA`` when set (never the working directory)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS = REPO_ROOT / "benchmarks" / "results"


def data_root() -> Path:
    """The shared data folder (holding ``kodak/`` and ``train/``)."""
    env = os.environ.get("AECODEC_DATA")
    return Path(env) if env else (REPO_ROOT.parent / "shared" / "data")


def kodak_dir() -> Path:
    return data_root() / "kodak"


def anchors_dir() -> Path:
    """Published RD points (``../shared/anchors/kodak``)."""
    env = os.environ.get("AECODEC_ANCHORS")
    return Path(env) if env else (REPO_ROOT.parent / "shared" / "anchors" / "kodak")
