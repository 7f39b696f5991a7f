"""Real-world images: modes, metadata, rate targets, the Pillow plugin."""

import io

import numpy as np
import pytest
from PIL import Image

import aecodec


def _roundtrip(im, **kw):
    return aecodec.decode(aecodec.encode(im, quality=50, **kw))


@pytest.mark.parametrize("mode,expected", [("RGB", "RGB"), ("L", "L"), ("RGBA", "RGBA"), ("LA", "LA"),
                                           ("CMYK", "RGB"), ("YCbCr", "RGB"), ("1", "L")])
def test_modes_come_back_as_documented(small_rgb, mode, expected):
    im = Image.fromarray(small_rgb).convert(mode)
    out = _roundtrip(im)
    assert out.mode == expected and out.size == im.size


def test_alpha_is_exact_for_rgba_and_la(small_rgb):
    a = (np.indices((48, 64)).sum(0) * 3 % 256).astype(np.uint8)
    for base in ("RGB", "L"):
        im = Image.fromarray(small_rgb).convert(base)
        im.putalpha(Image.fromarray(a))
        out = _roundtrip(im)
        assert np.array_equal(np.asarray(out.getchannel("A")), a)


def test_palette_with_and_without_transparency(small_rgb):
    p = Image.fromarray(small_rgb).convert("P", palette=Image.ADAPTIVE, colors=16)
    assert _roundtrip(p).mode == "RGB"
    p.info["transparency"] = 0
    assert _roundtrip(p).mode == "RGBA"


def test_sixteen_bit_greyscale_is_coded_at_eight_bits_with_a_warning():
    arr = (np.linspace(0, 65535, 40 * 30).reshape(30, 40)).astype(np.uint16)
    im = Image.frombytes("I;16", (40, 30), arr.astype("<u2").tobytes())
    with pytest.warns(UserWarning, match="8 bits"):
        data = aecodec.encode(im, quality=60)
    out = aecodec.decode(data)
    assert out.mode == "L" and out.size == (40, 30)


@pytest.mark.parametrize("size", [(1, 1), (2, 1), (1, 2), (5, 3)])
def test_tiny_images(size):
    im = Image.new("RGB", size, (200, 30, 90))
    assert _roundtrip(im).size == size


def test_icc_and_exif_bytes_come_back_exactly(small_rgb, tmp_path):
    icc = bytes(range(256)) * 3
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° CW; carried, not applied
    exif[0x010F] = "aecodec test camera"
    src = tmp_path / "in.png"
    Image.fromarray(small_rgb).save(src, icc_profile=icc, exif=exif.tobytes())
    data = aecodec.encode(src, quality=50)
    tags = [t for t, _ in aecodec.read_header(data).chunks]
    assert "iccp" in tags and "exif" in tags
    out = aecodec.decode(data)
    assert out.size == (64, 48)  # pixels as stored: orientation is not applied
    assert out.info["icc_profile"] == icc
    assert out.getexif()[0x0112] == 6
    png = tmp_path / "out.png"
    aecodec.decode_file(src.with_suffix(".aec") if False else _write(tmp_path, data), png)
    with Image.open(png) as im:
        assert im.info["icc_profile"] == icc and im.getexif()[0x010F] == "aecodec test camera"


def _write(tmp_path, data):
    p = tmp_path / "x.aec"
    p.write_bytes(data)
    return p


def test_pillow_plugin_open_and_save(small_rgb, tmp_path):
    dst = tmp_path / "y.aec"
    Image.fromarray(small_rgb).save(dst, quality=40)
    assert aecodec.read_header(dst.read_bytes()).quality == 40.0
    with Image.open(dst) as im:
        assert im.format == "AEC" and im.size == (64, 48) and im.mode == "RGB"
        pixels = np.asarray(im)
    assert np.array_equal(pixels, np.asarray(aecodec.decode(dst.read_bytes())))
    buf = io.BytesIO()
    Image.fromarray(small_rgb).save(buf, format="AEC", size=3000)
    assert len(buf.getvalue()) <= 3000


def test_size_target_never_exceeded_and_unattainable_is_typed(sample_path):
    smallest = len(aecodec.encode(sample_path, quality=0))
    largest = len(aecodec.encode(sample_path, quality=100))
    for limit in (smallest, smallest + 777, (smallest + largest) // 2, f"{largest / 1000:.0f}k"):
        data = aecodec.encode(sample_path, size=limit)
        cap = int(limit[:-1]) * 1000 if isinstance(limit, str) else limit
        assert len(data) <= cap
    assert len(aecodec.encode(sample_path, size=smallest)) == smallest
    with pytest.raises(aecodec.RateTargetError, match=rf"smallest result is {smallest} bytes"):
        aecodec.encode(sample_path, size=smallest - 1)


def test_rate_search_is_deterministic(sample_path):
    assert aecodec.encode(sample_path, bpp=0.6) == aecodec.encode(sample_path, bpp=0.6)


@pytest.mark.parametrize("bad", [dict(quality=50, bpp=1.0), dict(size="12q"), dict(size=0),
                                 dict(bpp=-1), dict(psnr=float("nan"))])
def test_bad_rate_options(small_rgb, bad):
    with pytest.raises(aecodec.InvalidInputError):
        aecodec.encode(small_rgb, **bad)


KODAK4 = ["kodim03.png", "kodim08.png", "kodim15.png", "kodim21.png"]


def _psnr(a, b):
    return 10 * np.log10(255**2 / np.mean((np.asarray(a, float) - np.asarray(b, float)) ** 2))


@pytest.mark.slow
@pytest.mark.parametrize("name", KODAK4)
def test_rate_targets_on_kodak(kodak_dir, name):
    im = Image.open(kodak_dir / name).convert("RGB")
    pixels = im.width * im.height
    d = aecodec.encode(im, bpp=0.5)
    assert abs(8 * len(d) / pixels / 0.5 - 1) <= 0.10
    d = aecodec.encode(im, size=40000)
    assert len(d) <= 40000
    try:
        d = aecodec.encode(im, psnr=30)
    except aecodec.RateTargetError:
        pytest.skip("this model cannot reach 30 dB on this image")
    p = _psnr(aecodec.decode(d), im)
    lowest = aecodec.encode(im, quality=0)
    if _psnr(aecodec.decode(lowest), im) >= 30:
        # the lowest quality already meets the target: it is the smallest such file
        assert d == lowest
    else:
        assert 30 <= p <= 30.5


def test_bpp_target_on_one_kodak_image(kodak_dir):
    im = Image.open(kodak_dir / "kodim15.png").convert("RGB")
    d = aecodec.encode(im, bpp=0.5)
    assert abs(8 * len(d) / (im.width * im.height) / 0.5 - 1) <= 0.10
