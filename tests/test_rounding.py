import numpy as np
from PIL import Image

import aecodec
from aecodec import container
from benchmarks import rounding


def _face(sample_path) -> np.ndarray:
    return np.asarray(Image.open(sample_path).convert("RGB"))[40:120, 100:196]


def _symbols_and_bytes(data: bytes) -> tuple[bytes, bytes]:
    (tile,) = container.parse(data).tiles
    return tile.z_bytes, tile.y_bytes


def test_rounding_offset_changes_only_the_latent_symbols_and_only_inside(sample_path):
    """δ = 0 is the codec's own file; a dead zone (δ > 0) keeps the hyper-latents' stream
    byte for byte, codes ŷ in fewer bytes, and writes an ordinary file; rounding away
    from the mean costs bytes; leaving the block restores the codec's rounding."""
    face = _face(sample_path)
    plain = aecodec.encode(face, quality=60)
    with rounding.rounding_offset(0.0):
        assert aecodec.encode(face, quality=60) == plain
    with rounding.rounding_offset(0.3):
        dead = aecodec.encode(face, quality=60)
    with rounding.rounding_offset(-0.2):
        away = aecodec.encode(face, quality=60)
    assert aecodec.encode(face, quality=60) == plain
    z_plain, y_plain = _symbols_and_bytes(plain)
    z_dead, y_dead = _symbols_and_bytes(dead)
    assert z_dead == z_plain and len(y_dead) < len(y_plain)
    assert len(_symbols_and_bytes(away)[1]) > len(y_plain)
    decoded = np.asarray(aecodec.decode(dead))
    assert decoded.shape == face.shape and not np.array_equal(decoded, np.asarray(aecodec.decode(plain)))


def test_rounding_benchmark_reports_each_offset_against_nearest(sample_path, tmp_path):
    images = [("photo/face.png", Image.fromarray(_face(sample_path)))]
    res = rounding.run(images, offsets=(0.0, 0.25), qualities=(30, 60, 90))
    reference, dead = res["offsets"]
    assert reference["offset"] == 0.0 and reference["bd_rate_vs_nearest"] == 0.0
    assert reference["median_image_bd_rate"] == 0.0 and reference["images_below_0"] == 0
    assert [p["quality"] for p in dead["curve"]] == res["qualities"] == [30, 60, 90]
    assert all(d["bpp"] < r["bpp"] for d, r in zip(dead["curve"], reference["curve"]))
    rounding.write_markdown(res, tmp_path / "r.md")
    table = (tmp_path / "r.md").read_text()
    assert "| +0.25 | " in table and f"{dead['bd_rate_vs_nearest']:+.2f} %" in table
