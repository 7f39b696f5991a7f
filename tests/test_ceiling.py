import json

import numpy as np
import pytest
from PIL import Image

import aecodec
from benchmarks import ceiling
from benchmarks.metrics import psnr

QUALITIES = (40, 95)


def _images(sample_path, small_rgb):
    astronaut = np.asarray(Image.open(sample_path).convert("RGB"))
    rng = np.random.default_rng(3)
    return {"smooth/ramp.png": small_rgb,
            "photo/face.png": astronaut[40:120, 100:196],
            "noise/grain.png": rng.integers(0, 256, (48, 80, 3), dtype=np.uint8)}


#: the anchor's rate / aecodec's, per image: BD-rates of +25, +0 and -20 %
ANCHOR_SCALE = {"smooth/ramp.png": 0.8, "photo/face.png": 1.0, "noise/grain.png": 1.25}


def _results(folder, images):
    """benchmarks.rd's layout from real aecodec files, and an anchor at a fixed scale of their rate."""
    points = {"aecodec": [], "AVIF": []}
    for q in QUALITIES:
        rows = []
        for name, arr in images.items():
            data = aecodec.encode(arr, quality=q)
            rows.append({"image": name, "bpp": 8 * len(data) / (arr.shape[0] * arr.shape[1]),
                         "psnr": psnr(arr, np.asarray(aecodec.decode(data)))})
        points["aecodec"].append({"setting": q, "images": rows})
        points["AVIF"].append({"setting": q, "images": [dict(r, bpp=ANCHOR_SCALE[r["image"]] * r["bpp"]) for r in rows]})
    return {"data": str(folder), "codecs": {k: {"points": v} for k, v in points.items()}}


def test_ceiling_bounds_the_top_setting_and_is_written_beside_the_results(tmp_path, sample_path, small_rgb):
    images = _images(sample_path, small_rgb)
    for name, arr in images.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        Image.fromarray(arr).save(tmp_path / name)
    results = _results(tmp_path, images)
    (tmp_path / "results.json").write_text(json.dumps(results))

    ceiling.main([str(tmp_path)])

    res = json.loads((tmp_path / "ceiling.json").read_text())
    rows = {r["image"]: r for r in res["by_image"]}
    assert set(rows) == set(images)
    tops = {r["image"]: r["psnr"] for r in results["codecs"]["aecodec"]["points"][-1]["images"]}
    for name, r in rows.items():
        assert r["top_setting"] == 95 and r["top_psnr"] == tops[name]
        # quantizing the latents only loses: the real file at q95 stays below the unquantized output
        assert r["ceiling_psnr"] > r["top_psnr"]
        assert r["headroom_db"] == pytest.approx(r["ceiling_psnr"] - r["top_psnr"])
        assert r["bd_rate_vs_anchor"] == pytest.approx(100 / ANCHOR_SCALE[name] - 100, abs=0.01)
    # noise has no structure the transforms keep: its ceiling is far below a smooth ramp's
    assert rows["noise/grain.png"]["ceiling_psnr"] < rows["smooth/ramp.png"]["ceiling_psnr"] - 10
    assert res["by_source"]["noise"]["images"] == 1 and res["by_source"]["all"]["images"] == 3
    headroom = [rows[n]["headroom_db"] for n in ANCHOR_SCALE]
    assert res["headroom_vs_bd_rate_correlation"] == pytest.approx(
        np.corrcoef(headroom, [100 / s - 100 for s in ANCHOR_SCALE.values()])[0, 1])
    md = (tmp_path / "ceiling.md").read_text()
    r = rows["photo/face.png"]
    assert f"| photo/face.png | {r['ceiling_psnr']:.2f} dB | {r['top_psnr']:.2f} dB, " in md


def test_missing_results_say_which_command_makes_them(tmp_path):
    with pytest.raises(SystemExit, match="run `python -m benchmarks.rd"):
        ceiling.main([str(tmp_path)])
