"""The golden file: the format and the shipped model do not drift."""

import hashlib
import json
from pathlib import Path

import numpy as np

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
