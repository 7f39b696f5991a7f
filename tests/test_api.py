"""Public API behaviour with the shipped model."""

import numpy as np
import pytest
import torch
from PIL import Image

import aecodec
from aecodec import container
from aecodec.models.loader import load_model
from aecodec.pixels import to_pixels, to_tensor


@pytest.mark.parametrize("shape", [(1, 1), (3, 17), (17, 3), (65, 64), (64, 130), (64, 120)])
def test_odd_sizes_round_trip(shape):
    h, w = shape
    arr = (np.arange(h * w * 3).reshape(h, w, 3) * 7 % 256).astype(np.uint8)
    data = aecodec.encode(arr, quality=60)
    out = aecodec.decode(data)
    assert out.size == (w, h) and out.mode == "RGB"
    hdr = aecodec.read_header(data)
    assert (hdr.width, hdr.height, hdr.channels, hdr.quality) == (w, h, 3, 60.0)
    # latents cover the image padded to 16 pixels (FLAG_GRID16) wherever 64 would pad more
    tile = container.parse(data).tiles[0]
    cells = (-(-h // 16), -(-w // 16))
    assert hdr.flags == (cells != (-(-h // 64) * 4, -(-w // 64) * 4))
    assert tile.y_shape[1:] == (cells if hdr.flags else (-(-h // 64) * 4, -(-w // 64) * 4))
    assert tile.z_shape[1:] == (-(-h // 64), -(-w // 64))


def test_kodak_size_round_trip(kodak_dir):
    im = Image.open(kodak_dir / "kodim23.png")  # 768×512
    data = aecodec.encode(im, quality=75)
    out = aecodec.decode(data)
    assert out.size == (768, 512)
    ref = np.asarray(im.convert("RGB"), float)
    mse = ((np.asarray(out, float) - ref) ** 2).mean()
    assert 10 * np.log10(255**2 / mse) > 24  # a trained model, not noise


def test_every_input_type_gives_the_same_bytes(small_rgb, tmp_path):
    path = tmp_path / "in.png"
    Image.fromarray(small_rgb).save(path)
    a = aecodec.encode(small_rgb, quality=40)
    assert aecodec.encode(Image.fromarray(small_rgb), quality=40) == a
    assert aecodec.encode(path, quality=40) == a
    assert aecodec.encode(str(path), quality=40) == a


def test_greyscale_array_comes_back_greyscale(small_rgb):
    grey = small_rgb[:, :, 0]
    out = aecodec.decode(aecodec.encode(grey, quality=50))
    assert out.mode == "L" and out.size == (64, 48)
    assert aecodec.read_header(aecodec.encode(grey)).channels == 1


def test_rgba_alpha_is_exact(small_rgb):
    alpha = (np.arange(64 * 48).reshape(48, 64) % 256).astype(np.uint8)
    rgba = np.dstack([small_rgb, alpha])
    out = aecodec.decode(aecodec.encode(rgba, quality=50))
    assert out.mode == "RGBA"
    assert np.array_equal(np.asarray(out)[:, :, 3], alpha)


@pytest.mark.parametrize("crop, grid", [(None, 64), ((200, 136), 16)])
def test_decoded_latents_equal_encoder_latents(sample_path, crop, grid):
    model = load_model(aecodec.DEFAULT_MODEL_ID)
    colour = to_pixels(sample_path).colour
    if crop:
        colour = colour[:crop[1], :crop[0]]  # 13×9 latents: the hyperprior's output cropped
    x = to_tensor(colour, grid)
    y = model.analyse(x, 75.0)
    streams = model.code_latents(y)
    # what the encoder quantized: round(y - mean) + mean with the exact means
    z = model.h_a(y)
    med = model.z_medians_fixed.double()[None, :, None, None] / 256
    z_sym = torch.floor(z.double() - med + 0.5).long()
    params = model.entropy_parameters(z_sym, y.shape[2:])
    if model.has_context:  # parameters corrected from the symbols coded before each element
        _, decoded_symbols, _ = model.decode_symbols(streams)
        params = model.context_parameters(params, decoded_symbols)
    means = params.means_fixed.double() / 256
    y_hat_encoder = torch.floor(y.double() - means + 0.5) + means
    y_hat_decoder = model.decode_latents(streams)
    assert torch.equal(y_hat_decoder, y_hat_encoder)


@pytest.mark.parametrize("bad", [-0.1, 100.5, float("nan"), "75", True, [50]])
def test_quality_outside_range_is_refused(small_rgb, bad):
    with pytest.raises(aecodec.InvalidInputError):
        aecodec.encode(small_rgb, quality=bad)


def test_options_are_keyword_only(small_rgb):
    with pytest.raises(TypeError):
        aecodec.encode(small_rgb, 50)  # noqa


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.float32), np.zeros((4, 4, 2), np.uint8),
                                 np.zeros((0, 4, 3), np.uint8), 12, b"bytes"])
def test_unusable_inputs_are_typed_errors(bad):
    with pytest.raises(aecodec.InvalidInputError):
        aecodec.encode(bad)


def test_non_image_file_is_invalid_input(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("not an image")
    with pytest.raises(aecodec.InvalidInputError, match="not an image"):
        aecodec.encode(p)


def test_error_subclasses_for_damaged_files(small_file):
    with pytest.raises(aecodec.TruncatedError):
        aecodec.decode(small_file[:-10])
    flipped = bytearray(small_file)
    flipped[len(flipped) // 2] ^= 0x10
    with pytest.raises(aecodec.ChecksumError):
        aecodec.decode(bytes(flipped))
    with pytest.raises(aecodec.UnsupportedVersionError):
        aecodec.decode(_recrc(small_file[:8] + b"\x09" + small_file[9:-4]))
    with pytest.raises(aecodec.NotAecodecError):
        aecodec.decode(b"\x89PNG\r\n\x1a\n" + small_file[8:])


def _recrc(body: bytes) -> bytes:
    import struct
    import zlib
    return body + struct.pack("<I", zlib.crc32(body))


def _with_model(data: bytes, model_id: int, digest: bytes) -> bytes:
    c = container.parse(data)
    h = c.header
    from dataclasses import replace
    return container.pack(replace(h, model_id=model_id, model_digest=digest), c.tiles, c.extras)


def test_unknown_model_id_is_refused_by_name_and_digest(small_file):
    bad = _with_model(small_file, 999, b"\xab" * 8)
    with pytest.raises(aecodec.ModelMismatchError, match=r"model id 999.*abababababababab"):
        aecodec.decode(bad)


def test_other_weights_under_a_known_id_are_refused(small_file):
    h = aecodec.read_header(small_file)
    bad = _with_model(small_file, h.model_id, b"\x00" * 8)
    with pytest.raises(aecodec.ModelMismatchError, match="other weights"):
        aecodec.decode(bad)


def test_latent_shape_mismatch_is_refused(small_file):
    c = container.parse(small_file)
    from dataclasses import replace
    t = c.tiles[0]
    bad = container.pack(c.header, [replace(t, y_shape=(t.y_shape[0], t.y_shape[1] + 1, t.y_shape[2]))])
    with pytest.raises(aecodec.CorruptStreamError, match="latent shapes"):
        aecodec.decode(bad)


def test_tiled_coding_covers_the_image(small_rgb):
    big = np.tile(small_rgb, (3, 3, 1))  # 144×192
    data = aecodec.encode(big, quality=50, tile_size=64)
    h = aecodec.read_header(data)
    assert h.tile_count == 9 and h.tile_grid == (3, 3)
    assert aecodec.decode(data).size == (192, 144)


def test_size_grows_with_quality(sample_path):
    sizes = [len(aecodec.encode(sample_path, quality=q)) for q in range(0, 101, 10)]
    assert all(b > a for a, b in zip(sizes, sizes[1:])), sizes


def test_file_functions_are_atomic_and_never_overwrite(sample_path, tmp_path):
    dst = tmp_path / "a.aec"
    hdr = aecodec.encode_file(sample_path, dst, quality=30)
    assert dst.read_bytes()[:4] == b"\x89AEC" and hdr.width == 512
    with pytest.raises(aecodec.InvalidInputError, match="exists"):
        aecodec.encode_file(sample_path, dst)
    with pytest.raises(aecodec.InvalidInputError, match="input"):
        aecodec.decode_file(dst, dst, overwrite=True)
    png = tmp_path / "a.png"
    img = aecodec.decode_file(dst, png)
    assert Image.open(png).size == img.size == (512, 512)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.aec", "a.png"]


def test_latents_api_equals_what_decode_reconstructs(sample_path):
    from aecodec.models.codec_model import LatentStreams

    lat = aecodec.latents(sample_path, quality=60)
    data = aecodec.encode(sample_path, quality=60)
    c = container.parse(data)
    t = c.tiles[0]
    model = load_model(aecodec.DEFAULT_MODEL_ID)
    y_hat = model.decode_latents(LatentStreams(t.z_shape, t.y_shape, t.z_bytes, t.y_bytes))
    assert lat.y.shape == t.y_shape and lat.z.shape == t.z_shape
    assert np.array_equal(lat.y, y_hat[0].numpy())
    assert np.array_equal(lat.y_symbols + lat.means, lat.y)
    # the per-symbol information content adds up to the coded stream size (rANS overhead is small)
    coded_bits = 8 * (len(t.y_bytes) + len(t.z_bytes))
    assert abs(lat.y_bits.sum() + lat.z_bits.sum() - coded_bits) < 0.02 * coded_bits + 256
