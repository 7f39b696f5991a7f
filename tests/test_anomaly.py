"""Anomaly ranking: JSON contract, ordering, report."""

import json

import numpy as np
from PIL import Image

from aecodec.cli.main import main


def test_anomaly_ranks_noise_first_and_writes_report(tmp_path, small_rgb, capsys):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(5):
        shifted = np.roll(small_rgb, 7 * i, axis=1)
        Image.fromarray(shifted).save(folder / f"photo{i}.png")
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, small_rgb.shape, dtype=np.uint8)).save(folder / "noise.png")
    report = tmp_path / "report.md"
    assert main(["anomaly", str(folder), "--json", "--top", "3", "--report", str(report)]) == 0
    ranked = json.loads(capsys.readouterr().out)
    assert len(ranked) == 3 and set(ranked[0]) == {"file", "score"}
    assert ranked[0]["file"].endswith("noise.png")
    assert ranked[0]["score"] >= ranked[1]["score"] >= ranked[2]["score"]
    text = report.read_text()
    assert "noise.png" in text and text.count("![](") == 3


def test_peak_is_the_centre_of_the_costliest_latent_cell():
    from aecodec.anomaly import _peak

    bits = np.zeros((100, 70))
    bits[32:48, 48:64] = 5.0  # one 16×16 cell
    assert _peak(bits) == (40, 56)
    bits[96:100, 64:70] = 9.0  # a clipped cell at the corner: centre clamped into the image
    assert _peak(bits) == (99, 69)


def test_a_pasted_noise_patch_holds_the_bits_peak(sample_path):
    from aecodec.anomaly import measure

    with Image.open(sample_path) as im:
        arr = np.asarray(im.convert("RGB"))[:256, :256].copy()
    rng = np.random.default_rng(3)
    arr[100:164, 37:101] = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    item, _ = measure(arr)
    r, c = item.peak
    assert 100 <= r < 164 and 37 <= c < 101
