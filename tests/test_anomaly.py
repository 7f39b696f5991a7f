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


def test_peak_is_the_centre_of_the_highest_cell_clamped_into_the_image():
    from aecodec.anomaly import _peak

    cells = np.zeros((7, 5))
    cells[2, 3] = 5.0
    assert _peak(cells, (100, 70)) == (40, 56)
    cells[6, 4] = 9.0  # a clipped cell at the corner: centre clamped into the image
    assert _peak(cells, (100, 70)) == (99, 69)


def _latents_with(y_bits: np.ndarray):
    from aecodec.inspection import Latents

    z = np.zeros((1, 1, 1))
    return Latents(y=y_bits, z=z, y_symbols=y_bits, z_symbols=z, means=y_bits, scales=y_bits,
                   scale_indexes=y_bits, y_bits=y_bits, z_bits=z, quality=50.0, size=(160, 160))


def test_surprise_is_relative_to_each_channels_own_median():
    from aecodec.inspection import surprise_cells

    bits = np.full((8, 10, 10), 0.2)
    bits[0] = 6.0                    # a channel that is costly everywhere (the image's texture) ...
    bits[0, 2, 2] = 12.0             # ... is twice as costly at one cell: most raw bits are here
    bits[2:8, 7, 7] = 0.6            # six quiet channels each triple their median at another cell
    raw_peak = np.unravel_index(np.argmax(bits.sum(0)), (10, 10))
    rel_peak = np.unravel_index(np.argmax(surprise_cells(_latents_with(bits), window=1)), (10, 10))
    assert raw_peak == (2, 2) and rel_peak == (7, 7)


def test_surprise_window_favours_a_compact_region_over_a_single_cell():
    from aecodec.inspection import surprise_cells

    bits = np.full((4, 12, 12), 0.5)
    bits[:, 1, 1] = 8.0              # one isolated costly cell
    bits[:, 6:9, 6:9] = 5.0          # a 3×3 block, each cell less costly
    cells = surprise_cells(_latents_with(bits))
    assert np.unravel_index(np.argmax(cells), cells.shape) == (7, 7)
    assert np.unravel_index(np.argmax(surprise_cells(_latents_with(bits), window=1)), (12, 12)) == (1, 1)


def test_a_pasted_noise_patch_holds_the_bits_peak(sample_path):
    from aecodec.anomaly import measure

    with Image.open(sample_path) as im:
        arr = np.asarray(im.convert("RGB"))[:256, :256].copy()
    rng = np.random.default_rng(3)
    arr[100:164, 37:101] = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    item, _ = measure(arr)
    r, c = item.peak
    assert 100 <= r < 164 and 37 <= c < 101
