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
