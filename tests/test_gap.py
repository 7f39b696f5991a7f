import json

import pytest

from benchmarks import gap

ANCHOR = {"a/1.png": [(0.2, 28.0), (0.4, 31.0), (0.8, 34.0), (1.6, 37.0)],
          "b/2.png": [(0.3, 27.0), (0.6, 30.0), (1.2, 33.0), (2.4, 36.0)]}
SCALE = {"a/1.png": 1.1, "b/2.png": 0.8}  # the test codec's rate / the anchor's, per image


def _points(curves):
    """benchmarks.rd's layout: one point per setting, the mean over images plus each image."""
    points = []
    for i in range(4):
        images = [{"image": k, "bpp": c[i][0], "psnr": c[i][1]} for k, c in curves.items()]
        points.append({"setting": i, "bpp": sum(x["bpp"] for x in images) / 2,
                       "psnr": sum(x["psnr"] for x in images) / 2, "images": images})
    return points


def _results():
    test = {k: [(b * SCALE[k], q) for b, q in c] for k, c in ANCHOR.items()}
    return {"codecs": {"AVIF": {"points": _points(ANCHOR)}, "aecodec": {"points": _points(test)}},
            "bd_rate": {"psnr": {"AVIF": {"aecodec": {"percent": 1.5, "range": [27.5, 36.5]}}}}}


def test_per_image_bd_rate_and_sources():
    res = gap.analyse(_results())
    by_image = {r["image"]: r for r in res["by_image"]}
    assert by_image["a/1.png"]["percent"] == pytest.approx(10.0, abs=0.01)
    assert by_image["b/2.png"]["percent"] == pytest.approx(-20.0, abs=0.01)
    assert by_image["a/1.png"]["range"] == [28.0, 37.0]
    assert res["by_source"]["a"] == {"images": 1, "median": 10.0, "mean": 10.0, "at_or_below_zero": 0}
    assert res["by_source"]["all"]["at_or_below_zero"] == 1
    assert res["by_source"]["all"]["median"] == pytest.approx(-5.0)
    assert res["pooled_bd_rate"]["percent"] == 1.5


def test_rate_ratio_at_equal_psnr():
    anchor = [{"bpp": b, "psnr": q} for b, q in ANCHOR["a/1.png"]]
    test = [{"setting": 5, "bpp": 0.4 * 1.25, "psnr": 31.0}, {"setting": 6, "bpp": 1.0, "psnr": 40.0}]
    rows = gap.rate_ratios(test, anchor)
    assert rows[0]["anchor_bpp"] == pytest.approx(0.4)
    assert rows[0]["ratio"] == pytest.approx(1.25)
    assert rows[1]["ratio"] is None  # above the anchor's best PSNR: nothing to compare with


def test_cli_writes_report_beside_results(tmp_path, capsys):
    (tmp_path / "results.json").write_text(json.dumps(_results()))
    gap.main([str(tmp_path)])
    md = (tmp_path / "gap.md").read_text()
    assert "| a/1.png | +10.0 % | 28.00–37.00 dB |" in md
    assert json.loads((tmp_path / "gap.json").read_text())["anchor"] == "AVIF"
    with pytest.raises(SystemExit, match="no codec 'JPEG'"):
        gap.main([str(tmp_path), "--anchor", "JPEG"])
    with pytest.raises(SystemExit, match="run `python -m benchmarks.rd"):
        gap.main([str(tmp_path / "missing")])
