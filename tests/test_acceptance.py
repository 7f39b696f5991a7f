"""v1 acceptance figures on Kodak (slow: run with ``pytest -m slow``)."""

import numpy as np
import pytest
from PIL import Image

import aecodec
from aecodec.api import _Prepared

pytestmark = pytest.mark.slow


def test_size_strictly_increases_every_five_quality_points_on_every_kodak_image(kodak_dir):
    for path in sorted(kodak_dir.glob("*.png")):
        job = _Prepared(path, aecodec.DEFAULT_TILE_SIZE, aecodec.DEFAULT_MAX_PIXELS)
        sizes = [len(job.file(q * 100)) for q in range(0, 101, 5)]
        assert all(b > a for a, b in zip(sizes, sizes[1:])), (path.name, sizes)


def test_default_quality_reaches_30_db_on_a_kodak_image(kodak_dir):
    im = Image.open(kodak_dir / "kodim23.png").convert("RGB")
    out = aecodec.decode(aecodec.encode(im))
    mse = np.mean((np.asarray(out, float) - np.asarray(im, float)) ** 2)
    assert 10 * np.log10(255**2 / mse) >= 30


def test_bd_rate_against_jpeg_measured_in_the_same_run(kodak_dir, tmp_path):
    from benchmarks import rd
    res = rd.run(kodak_dir, tmp_path, ["aecodec", "jpeg"], published=False, command="test")
    bd = res["bd_rate"]["psnr"]["JPEG"]["aecodec"]
    assert bd is not None, "aecodec's PSNR range does not overlap JPEG's"
    assert bd["percent"] <= -40.0, bd
