"""The golden file: the format and the shipped model do not drift."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import aecodec

DATA = Path(__file__).resolve().parent / "data"


def test_reencoding_the_sample_reproduces_the_golden_bytes(sample_path):
    meta = json.loads((DATA / "golden.json").read_text())
    data = aecodec.encode(sample_path, quality=meta["quality"])
    assert hashlib.sha256(data).hexdigest() == meta["file_sha256"]
    assert data == (DATA / "golden.aec").read_bytes()


def test_decoding_the_golden_file_reproduces_its_pixels():
    meta = json.loads((DATA / "golden.json").read_text())
    pixels = np.asarray(aecodec.decode((DATA / "golden.aec").read_bytes()))
    assert pixels.shape == (512, 512, 3)
    assert hashlib.sha256(pixels.tobytes()).hexdigest() == meta["pixels_sha256"]


def test_golden_header_fields():
    h = aecodec.read_header((DATA / "golden.aec").read_bytes())
    assert (h.width, h.height, h.channels, h.bit_depth, h.quality) == (512, 512, 3, 8, 75.0)
    assert (h.major, h.minor, h.tile_count) == (1, 0, 1)
    assert h.model_id == aecodec.DEFAULT_MODEL_ID
    assert h.model_digest == aecodec.MODELS[h.model_id].digest


COMPAT = sorted(p.stem for p in DATA.glob("golden_m*.json"))


@pytest.mark.parametrize("name", COMPAT)
def test_files_of_earlier_default_models_still_decode_to_their_pixels(name):
    """Earlier defaults that are still shipped: each golden file decodes with its own
    weights to the pixels recorded when it was made."""
    meta = json.loads((DATA / f"{name}.json").read_text())
    old = (DATA / f"{name}.aec").read_bytes()
    assert hashlib.sha256(old).hexdigest() == meta["file_sha256"]
    assert aecodec.read_header(old).model_id == meta["model_id"] != aecodec.DEFAULT_MODEL_ID
    assert meta["model_id"] in aecodec.MODELS
    pixels = np.asarray(aecodec.decode(old))
    assert hashlib.sha256(pixels.tobytes()).hexdigest() == meta["pixels_sha256"]


def test_the_retired_models_golden_file_is_refused_by_name():
    """Model 1 was retired when model 2 shipped: its files still parse, but decoding
    is refused with an error naming the model id and weights digest."""
    old = (DATA / "retired" / "golden_m1.aec").read_bytes()
    h = aecodec.read_header(old)
    assert (h.model_id, h.model_digest.hex()) == (1, "d58a0d1bec774c96")
    with pytest.raises(aecodec.ModelMismatchError, match=r"model id 1 \(weights digest d58a0d1bec774c96\)"):
        aecodec.decode(old)
    assert 1 not in aecodec.MODELS
