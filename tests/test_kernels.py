"""Triton kernels under TRITON_INTERPRET=1 against their plain-torch references (exact)."""

import numpy as np
import pytest
import torch

import aecodec
from aecodec import kernels
from aecodec.kernels import reference

pytestmark = pytest.mark.skipif(not kernels.triton_available(), reason="triton not importable")


def test_kernel_requantize_matches_reference():
    from aecodec.kernels import triton_ops
    g = torch.Generator().manual_seed(0)
    acc = torch.randint(-2**40, 2**40, (3, 17, 5, 7), generator=g).double()
    acc[0, 0, 0, :3] = torch.tensor([2.0**11, -(2.0**11), 2.0**11 - 1])  # rounding ties
    for shift in (1, 12, 20):
        for relu in (False, True):
            want = reference.requantize(acc, shift, relu, 2.0**24)
            got = triton_ops.requantize(acc, shift, relu, 2.0**24)
            assert torch.equal(got, want)


def test_kernel_quantize_matches_reference_including_ties():
    from aecodec.kernels import triton_ops
    g = torch.Generator().manual_seed(1)
    v = (torch.randn(2, 9, 13, 11, generator=g) * 20).double()
    v.view(-1)[:6] = torch.tensor([0.5, -0.5, 1.5, -1.5, 2.5, 1e6])
    centres = (torch.randint(-500, 500, (1, 9, 13, 11), generator=g).double() / 256)
    assert torch.equal(triton_ops.quantize(v, centres), reference.quantize(v, centres))
    med = torch.randn(9, 1, 1, generator=g).double()
    assert torch.equal(triton_ops.quantize(v, med), reference.quantize(v, med))


def test_kernel_scale_index_matches_reference():
    from aecodec.kernels import triton_ops
    from aecodec.models.loader import load_model
    thresholds = load_model(aecodec.DEFAULT_MODEL_ID).scale_thresholds
    g = torch.Generator().manual_seed(2)
    s = torch.randint(-10, 70000, (1, 192, 6, 9), generator=g)
    s.view(-1)[:len(thresholds)] = thresholds  # exactly on a threshold
    assert torch.equal(triton_ops.scale_index(s, thresholds), reference.scale_index(s, thresholds))


def test_kernel_forced_round_trip_gives_identical_bytes_and_pixels(sample_path, monkeypatch):
    from PIL import Image
    from aecodec.kernels import triton_ops
    calls = {}
    for name in ("requantize", "quantize", "scale_index"):
        fn = getattr(triton_ops, name)
        def counted(*a, _fn=fn, _name=name):
            calls[_name] = calls.get(_name, 0) + 1
            return _fn(*a)
        monkeypatch.setattr(triton_ops, name, counted)
    im = Image.open(sample_path).convert("RGB").crop((128, 128, 320, 256))
    plain = aecodec.encode(im, quality=60)
    plain_px = np.asarray(aecodec.decode(plain))
    with kernels.forced():
        through = aecodec.encode(im, quality=60)
        through_px = np.asarray(aecodec.decode(through))
    assert through == plain
    assert np.array_equal(through_px, plain_px)
    # every integer layer (h_s; with a context also cx, cf, and each channel group's network
    # in both halves) once per encode and per decode; ẑ and each part of ŷ (a channel group
    # in a half) quantized once; a table choice for the hyperprior and per part on each side
    from aecodec.models.loader import load_model
    model = load_model(aecodec.DEFAULT_MODEL_ID)
    layers = len(model.hs_layers)
    parts = 1
    if model.has_context:
        layers += len(model.context_layers) + len(model.fuse_layers)
        layers += 2 * sum(len(net) for net in model.channel_layers)
        parts = 2 * (len(model.channel_layers) + 1)
    assert calls == {"quantize": 1 + parts, "requantize": 2 * layers,
                     "scale_index": 2 * (1 + parts) if model.has_context else 2}


def test_kernel_device_cuda_without_cuda_falls_back_and_says_so(small_rgb, capsys, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    with pytest.warns(RuntimeWarning, match="CUDA is not available"):
        data = aecodec.encode(small_rgb, quality=50, device="cuda")
    assert data == aecodec.encode(small_rgb, quality=50)
    from PIL import Image
    from aecodec.cli.main import main
    src = tmp_path / "p.png"
    Image.fromarray(small_rgb).save(src)
    assert main(["compress", str(src), "--device", "cuda"]) == 0
    assert "CUDA is not available" in capsys.readouterr().err
    with pytest.raises(aecodec.InvalidInputError):
        aecodec.encode(small_rgb, device="tpu")
