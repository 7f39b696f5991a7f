"""The golden file: the format and the shipped model do not drift.

Decoded latents are compared exactly (they are integers on every machine);
decoded pixels through their PSNR against the source, within a tenth of a
dB, since the float synthesis differs slightly between CPUs
(``tests/make_golden.py`` says why).
"""

import hashlib
import json
from pathlib import Path

import pytest

import aecodec
from make_golden import CROP, SAMPLE, latents_sha256, psnr_to_source

DATA = Path(__file__).resolve().parent / "data"
#: Decoded pixels' PSNR against the source may move this much between machines (dB):
#: measured 0.0004 dB from AMX to AVX-512 kernels, and 0.012 dB from bf16 to fp32
#: transforms (what a CPU without bf16, e.g. ``ONEDNN_MAX_CPU_ISA=AVX2``, runs), with the
#: latents identical.
PSNR_TOLERANCE = 0.1


def test_reencoding_the_sample_reproduces_the_golden_file_within_float_noise(sample_path):
    """The encoder is float: on another CPU a few latents may round the other way, so
    the bytes may differ, but not the size or quality beyond float noise."""
    meta = json.loads((DATA / "golden.json").read_text())
    data = aecodec.encode(sample_path, quality=meta["quality"])
    assert aecodec.read_header(data).model_id == meta["model_id"] == aecodec.DEFAULT_MODEL_ID
    assert abs(len(data) - meta["bytes"]) <= 0.005 * meta["bytes"]
    assert psnr_to_source(data, SAMPLE) == pytest.approx(meta["psnr_db"], abs=PSNR_TOLERANCE)


def test_decoding_the_golden_file_reproduces_its_latents_and_quality():
    meta = json.loads((DATA / "golden.json").read_text())
    data = (DATA / "golden.aec").read_bytes()
    assert hashlib.sha256(data).hexdigest() == meta["file_sha256"]
    assert latents_sha256(data) == meta["latents_sha256"]
    assert psnr_to_source(data, SAMPLE) == pytest.approx(meta["psnr_db"], abs=PSNR_TOLERANCE)


def test_golden_header_fields():
    h = aecodec.read_header((DATA / "golden.aec").read_bytes())
    assert (h.width, h.height, h.channels, h.bit_depth, h.quality) == (512, 512, 3, 8, 75.0)
    assert (h.major, h.minor, h.tile_count) == (1, 0, 1)
    assert h.model_id == aecodec.DEFAULT_MODEL_ID
    assert h.model_digest == aecodec.MODELS[h.model_id].digest


def test_the_16_pixel_grid_golden_file_decodes_to_its_latents_and_quality():
    """A 200×136 image: its latents cover 208×144 pixels (13×9 ŷ, 3×4 ẑ), not 256×192."""
    meta = json.loads((DATA / "golden_grid16.json").read_text())
    data = (DATA / "golden_grid16.aec").read_bytes()
    assert hashlib.sha256(data).hexdigest() == meta["file_sha256"]
    c = aecodec.container.parse(data)
    assert (c.header.width, c.header.height, c.header.flags, c.header.latent_grid) == (200, 136, 1, 16)
    assert (c.tiles[0].y_shape[1:], c.tiles[0].z_shape[1:]) == ((9, 13), (3, 4))
    assert latents_sha256(data) == meta["latents_sha256"]
    assert psnr_to_source(data, CROP) == pytest.approx(meta["psnr_db"], abs=PSNR_TOLERANCE)
    again = aecodec.encode(CROP, quality=meta["quality"])
    assert abs(len(again) - meta["bytes"]) <= 0.005 * meta["bytes"]


def test_a_file_of_aecodec_026_on_the_64_pixel_grid_still_decodes_identically():
    """Before 0.27 every file padded its latents to 64 pixels; such files carry no flag
    and decode, as ever, to the latents and quality aecodec 0.26 recorded for them."""
    meta = json.loads((DATA / "golden_grid64.json").read_text())
    old = (DATA / "golden_grid64.aec").read_bytes()
    assert hashlib.sha256(old).hexdigest() == meta["file_sha256"]
    c = aecodec.container.parse(old)
    assert (c.header.flags, c.tiles[0].y_shape[1:]) == (0, (12, 16))
    assert latents_sha256(old) == meta["latents_sha256"]
    assert psnr_to_source(old, CROP) == pytest.approx(meta["psnr_db"], abs=PSNR_TOLERANCE)
    # the same image, on the 16-pixel grid, costs fewer bytes at the same quality
    new = json.loads((DATA / "golden_grid16.json").read_text())
    assert new["bytes"] < meta["bytes"] and new["psnr_db"] == pytest.approx(meta["psnr_db"], abs=0.1)


COMPAT = sorted(p.stem for p in DATA.glob("golden_m*.json"))


@pytest.mark.parametrize("name", COMPAT)
def test_files_of_earlier_default_models_still_decode_to_their_latents_and_quality(name):
    """Earlier defaults that are still shipped: each golden file decodes with its own
    weights to the latents recorded when it was made, and to the same quality."""
    meta = json.loads((DATA / f"{name}.json").read_text())
    old = (DATA / f"{name}.aec").read_bytes()
    assert hashlib.sha256(old).hexdigest() == meta["file_sha256"]
    assert aecodec.read_header(old).model_id == meta["model_id"] != aecodec.DEFAULT_MODEL_ID
    assert meta["model_id"] in aecodec.MODELS
    assert latents_sha256(old) == meta["latents_sha256"]
    assert psnr_to_source(old, SAMPLE) == pytest.approx(meta["psnr_db"], abs=PSNR_TOLERANCE)


def test_the_retired_models_golden_file_is_refused_by_name():
    """Model 1 was retired when model 2 shipped: its files still parse, but decoding
    is refused with an error naming the model id and weights digest."""
    old = (DATA / "retired" / "golden_m1.aec").read_bytes()
    h = aecodec.read_header(old)
    assert (h.model_id, h.model_digest.hex()) == (1, "d58a0d1bec774c96")
    with pytest.raises(aecodec.ModelMismatchError, match=r"model id 1 \(weights digest d58a0d1bec774c96\)"):
        aecodec.decode(old)
    assert 1 not in aecodec.MODELS
