"""Weights load only from safetensors with their sha256 checked."""

import hashlib

import pytest

import aecodec
from aecodec.models import loader
from aecodec.models.registry import MODELS


def test_shipped_weights_match_the_registry():
    for e in MODELS.values():
        data = (loader.WEIGHTS_DIR / e.filename).read_bytes()
        assert hashlib.sha256(data).hexdigest() == e.sha256
        assert len(data) <= 30 * 2**20


def test_wrong_digest_is_an_error_not_a_warning(tmp_path):
    e = MODELS[aecodec.DEFAULT_MODEL_ID]
    bad = tmp_path / "w.safetensors"
    data = bytearray((loader.WEIGHTS_DIR / e.filename).read_bytes())
    data[-1] ^= 1
    bad.write_bytes(bytes(data))
    with pytest.raises(aecodec.WeightsError, match="sha256"):
        loader.read_verified(bad, e.sha256)


def test_garbage_weights_are_a_typed_error():
    with pytest.raises(aecodec.WeightsError):
        loader.model_from_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")


@pytest.mark.parametrize("field", ["residual_blocks", "analysis_blocks"])
@pytest.mark.parametrize("blocks", [-1, 10**6])
def test_a_residual_block_count_out_of_range_is_refused_before_building(blocks, field):
    """A corrupt architecture field must not make the loader build a huge network."""
    import json

    from safetensors import safe_open
    from safetensors.torch import load, save

    path = loader.WEIGHTS_DIR / MODELS[aecodec.DEFAULT_MODEL_ID].filename
    with safe_open(path, "pt") as f:
        meta = f.metadata()
    config = json.loads(meta["config"])
    config[field] = blocks
    data = save(load(path.read_bytes()), metadata={**meta, "config": json.dumps(config)})
    with pytest.raises(aecodec.WeightsError, match="residual blocks"):
        loader.model_from_bytes(data)
