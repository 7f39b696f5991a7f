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


def test_images_are_coded_without_their_metadata(tmp_path, small_rgb):
    """A JPEG's ICC profile and EXIF must not reach the codecs: some carry them, some don't."""
    from PIL import ImageCms

    from benchmarks.codecs import ALL

    exif = Image.Exif()
    exif[0x010E] = "x" * 2000  # ImageDescription: 2 KB a codec that keeps EXIF would be charged for
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(small_rgb).save(tmp_path / "tagged.jpg", quality=95, icc_profile=icc, exif=exif)
    Image.fromarray(small_rgb).save(tmp_path / "bare.jpg", quality=95)
    with Image.open(tmp_path / "tagged.jpg") as im:
        assert im.info["icc_profile"] and im.info["exif"]  # the file does carry both
    (name, tagged), (_, bare) = rd.load_images(tmp_path, manifest=None)[::-1]
    assert name == "tagged.jpg" and not {"icc_profile", "exif"} & set(tagged.info)
    assert np.array_equal(np.asarray(tagged), np.asarray(bare))
    for codec in ("aecodec", "avif"):  # the two that would otherwise store the profile
        assert ALL[codec].code(tagged, 60)[0] == ALL[codec].code(bare, 60)[0]
