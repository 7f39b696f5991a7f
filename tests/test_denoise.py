"""De-noising mode: its own model id, and noise is dropped rather than coded."""

import numpy as np
import pytest
from PIL import Image

import aecodec
from aecodec.models import registry
from benchmarks.metrics import psnr


@pytest.fixture(scope="module")
def clean_and_noisy(sample_path):
    with Image.open(sample_path) as im:
        clean = np.asarray(im.convert("RGB"))[128:384, 128:384]
    rng = np.random.default_rng(0)
    noisy = np.clip(np.round(clean + rng.normal(0, 15, clean.shape)), 0, 255).astype(np.uint8)
    return clean, noisy


def test_denoise_codes_with_the_denoising_model(clean_and_noisy):
    _, noisy = clean_and_noisy
    data = aecodec.encode(noisy, quality=60, denoise=True)
    h = aecodec.read_header(data)
    assert h.model_id == registry.DENOISE_MODEL_ID != registry.DEFAULT_MODEL_ID
    assert aecodec.MODELS[h.model_id].denoise
    assert aecodec.decode(data).size == (256, 256)


def test_denoise_spends_fewer_bits_and_lands_closer_to_the_clean_image(clean_and_noisy):
    """At the same quality the de-noiser spends fewer bits; given the same bytes, the
    default model lands farther from the clean image (at the same quality a later
    default model may spend more bytes and come closer: model 11 did)."""
    clean, noisy = clean_and_noisy
    denoised = aecodec.encode(noisy, quality=60, denoise=True)
    assert len(denoised) < len(aecodec.encode(noisy, quality=60))
    plain = aecodec.encode(noisy, size=len(denoised))
    assert len(plain) <= len(denoised)
    assert psnr(clean, np.asarray(aecodec.decode(denoised))) > psnr(clean, np.asarray(aecodec.decode(plain)))


def test_cli_denoise_flag(tmp_path, clean_and_noisy):
    from aecodec.cli.main import main

    src = tmp_path / "noisy.png"
    Image.fromarray(clean_and_noisy[1]).save(src)
    assert main(["compress", str(src), "--denoise"]) == 0
    assert aecodec.read_header(src.with_suffix(".aec").read_bytes()).model_id == registry.DENOISE_MODEL_ID
