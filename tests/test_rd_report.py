"""The RD report is generated end to end on two tiny images."""

import json

import numpy as np
from PIL import Image

from benchmarks import rd


def test_report_on_two_tiny_images(tmp_path, small_rgb):
    data = tmp_path / "imgs"
    data.mkdir()
    Image.fromarray(small_rgb).save(data / "a.png")
    Image.fromarray(np.ascontiguousarray(small_rgb[::-1, ::-1])).save(data / "b.png")
    out = tmp_path / "out"
    res = rd.run(data, out, ["aecodec", "jpeg", "webp"], command="test")
    saved = json.loads((out / "results.json").read_text())
    assert saved["images"] == 2 and set(saved["codecs"]) == {"aecodec", "JPEG", "WebP"}
    assert saved["provenance"]["git_commit"] and saved["provenance"]["threads"] >= 1
    pts = saved["codecs"]["aecodec"]["points"]
    assert [p["setting"] for p in pts] == [10, 25, 40, 55, 70, 85, 95]
    assert all(len(p["images"]) == 2 and p["bpp"] > 0 and 10 < p["psnr"] < 60 for p in pts)
    assert "JPEG" in saved["bd_rate"]["psnr"] and "aecodec" in saved["bd_rate"]["psnr"]["JPEG"]
    report = (out / "report.md").read_text()
    assert "BD-rate of aecodec (PSNR)" in report and "| JPEG |" in report
    with Image.open(out / "rd.png") as im:
        assert im.size[0] > 1000
    assert (out / "rd.svg").stat().st_size > 1000
    assert res["bd_rate"] == saved["bd_rate"]


def test_every_nth_image_of_a_manifest_in_sorted_order(tmp_path):
    for i in range(7):
        Image.new("RGB", (4, 4), (i, i, i)).save(tmp_path / f"im{i}.png")
    manifest = tmp_path / "list.txt"
    manifest.write_text("# held out\n" + "\n".join(f"im{i}.png" for i in (6, 0, 3, 1, 5, 2, 4)) + "\n")
    names = [n for n, _ in rd.load_images(tmp_path, manifest=manifest, every=3)]
    assert names == ["im0.png", "im3.png", "im6.png"]
    assert [n for n, _ in rd.load_images(tmp_path, manifest=manifest, every=3, limit=2)] == names[:2]
