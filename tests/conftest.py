import os
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for `benchmarks`, which is not installed

os.environ.setdefault("TRITON_INTERPRET", "1")


def data_root() -> Path:
    env = os.environ.get("AECODEC_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def kodak_dir() -> Path:
    d = data_root() / "kodak"
    if not d.is_dir():
        pytest.skip(f"Kodak not found at {d} (set AECODEC_DATA)")
    return d


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return REPO / "examples" / "astronaut.png"


@pytest.fixture(scope="session")
def small_rgb() -> np.ndarray:
    rng = np.random.default_rng(0)
    base = np.linspace(0, 255, 64, dtype=np.float64)
    img = np.stack([base[None, :].repeat(48, 0), base[:48, None].repeat(64, 1),
                    128 + 40 * np.sin(np.arange(64)[None, :] / 5).repeat(48, 0)], -1)
    return np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def small_file(small_rgb) -> bytes:
    import aecodec
    return aecodec.encode(small_rgb, quality=50)


@pytest.fixture
def folder(tmp_path) -> Path:
    """A training folder of 12 small noise images."""
    from PIL import Image

    rng = np.random.default_rng(1)
    d = tmp_path / "imgs"
    d.mkdir()
    for i in range(12):
        Image.fromarray(rng.integers(0, 256, (80 + i, 90, 3), dtype=np.uint8)).save(d / f"{i:02d}.png")
    return d
