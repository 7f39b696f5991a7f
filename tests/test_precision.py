"""The transforms' precision: bf16 where native, fp32 elsewhere; files decode alike."""

import numpy as np
import pytest

import aecodec
from aecodec.models.codec_model import PRECISION_ENV, transform_precision
from aecodec.models.loader import load_model
from aecodec.models.registry import DEFAULT_MODEL_ID
from benchmarks.metrics import psnr


@pytest.mark.parametrize("value", ["fp32", "bf16", "FP32 "])
def test_environment_forces_the_precision(monkeypatch, value):
    monkeypatch.setenv(PRECISION_ENV, value)
    assert transform_precision("cpu") == value.strip().lower()


def test_unknown_precision_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(PRECISION_ENV, "fp8")
    with pytest.raises(aecodec.InvalidInputError, match="fp32, bf16 or auto"):
        transform_precision("cpu")


def test_a_file_decodes_alike_in_bf16_and_fp32(sample_path):
    """A machine without native bf16 decodes a file to within 50 dB of one with it.

    On a 256² crop of the sample: where bf16 is emulated (an AVX2 CPU) its decode
    takes minutes at full size."""
    from PIL import Image

    with Image.open(sample_path) as im:
        crop = im.convert("RGB").crop((128, 128, 384, 384))
    data = aecodec.encode(crop, quality=60)
    model = load_model(DEFAULT_MODEL_ID, "cpu")
    shipped = model.precision
    try:
        model.precision = "bf16"
        bf16 = np.asarray(aecodec.decode(data))
        model.precision = "fp32"
        fp32 = np.asarray(aecodec.decode(data))
    finally:
        model.precision = shipped
    assert psnr(bf16, fp32) >= 50


@pytest.mark.parametrize("isa, capped", [("AVX2", True), ("avx512_core", True), ("SSE41", True),
                                         ("DEFAULT", False), ("AVX512_CORE_AMX", False)])
def test_an_instruction_set_cap_below_bf16_runs_fp32(monkeypatch, isa, capped):
    """Under ``ONEDNN_MAX_CPU_ISA=AVX2`` bf16 would be emulated, as on an AVX2-only machine."""
    monkeypatch.setenv(PRECISION_ENV, "auto")
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    uncapped = transform_precision("cpu")
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", isa)
    assert transform_precision("cpu") == ("fp32" if capped else uncapped)
    monkeypatch.setenv(PRECISION_ENV, "bf16")
    assert transform_precision("cpu") == "bf16"  # an explicit choice still wins
