"""Checkerboard context model: training pass, export, exact two-pass coding."""

import numpy as np
import pytest
import torch

from aecodec.models.context import anchor_mask, fixed_correction
from aecodec.models.fixed_point import ACT_BITS, run_fixed
from aecodec.models.hyperprior import ModelConfig, VariableRateHyperprior
from aecodec.models.loader import model_from_bytes
from aecodec.training.export import export_bytes

PLAIN = ModelConfig(n=8, m=12, lambdas=(0.002, 0.02))
CONTEXT = ModelConfig(n=8, m=12, lambdas=(0.002, 0.02), context="checkerboard")


def _trained_like(config: ModelConfig, seed: int = 0) -> VariableRateHyperprior:
    """A small model with a non-zero context correction (as after training)."""
    torch.manual_seed(seed)
    model = VariableRateHyperprior(config)
    if model.context is not None:
        with torch.no_grad():
            model.context.fuse[-1].weight.normal_(0, 0.05)
            model.context.fuse[-1].bias.normal_(0, 0.05)
    return model


@pytest.fixture(scope="module")
def coder():
    return model_from_bytes(export_bytes(_trained_like(CONTEXT)))


def test_anchor_mask_is_a_checkerboard_starting_at_the_corner():
    m = anchor_mask(3, 4)[0, 0]
    assert m.tolist() == [[True, False, True, False], [False, True, False, True],
                          [True, False, True, False]]


@pytest.mark.parametrize("height", [1, 2, 3, 6, 7])
@pytest.mark.parametrize("width", [1, 2, 5, 8])
def test_packed_context_equals_the_network_over_the_whole_grid(coder, height, width):
    """The decoder computes the context only where it is needed; the result must
    be bit-identical to the layers run over every position (docs/container.md 5b)."""
    torch.manual_seed(height * 10 + width)
    m = CONTEXT.m
    anchors = anchor_mask(height, width)
    values = torch.randint(-40 * 2**ACT_BITS, 40 * 2**ACT_BITS, (1, m, height, width)) * anchors
    params = torch.randint(-8 * 2**ACT_BITS, 8 * 2**ACT_BITS, (1, 2 * m, height, width))
    context = run_fixed(coder.context_layers, values)
    whole = run_fixed(coder.fuse_layers, torch.cat([params, context], dim=1))
    got = fixed_correction(coder.context_layers, coder.fuse_layers, values, params)
    assert torch.equal(got, torch.where(anchors, torch.zeros_like(whole), whole))
    if height * width > 1:  # the correction is not trivially zero
        assert got[:, :, ~anchors[0, 0]].abs().sum() > 0


def test_zero_initialised_context_trains_like_the_plain_hyperprior():
    plain = _trained_like(PLAIN)
    context = VariableRateHyperprior(CONTEXT)
    context.load_state_dict(plain.state_dict(), strict=False)
    plain.eval(), context.eval()  # no noise: likelihoods of rounded latents
    x = torch.rand(2, 3, 64, 64)
    a = plain(x, torch.tensor([0.0, 1.0]), autocast=False)
    b = context(x, torch.tensor([0.0, 1.0]), autocast=False)
    assert torch.equal(a.x_hat, b.x_hat) and torch.equal(a.y_likelihoods, b.y_likelihoods)


def test_decoded_latents_equal_the_encoders_symbols(coder):
    x = torch.rand(1, 3, 128, 192)
    y = coder.analyse(x, 60.0)
    z = coder.hyper_symbols(y)
    symbols, params = coder.quantize_latents(y, z)
    expected = (symbols * 2**ACT_BITS + params.means_fixed).to(torch.float64) / 2**ACT_BITS
    assert torch.equal(coder.decode_latents(coder.code_latents(y)), expected)
    assert (coder.decode_latents(coder.code_latents(y)).float() - y).abs().max() <= 0.5 + 1e-3


def test_context_changes_only_the_non_anchors_parameters(coder):
    y = coder.analyse(torch.rand(1, 3, 128, 128), 60.0)
    z = coder.hyper_symbols(y)
    base = coder.entropy_parameters(z)
    _, full = coder.quantize_latents(y, z)
    anchors = anchor_mask(*y.shape[2:]).expand_as(base.means_fixed)
    assert torch.equal(full.means_fixed[anchors], base.means_fixed[anchors])
    assert torch.equal(full.indexes[anchors], base.indexes[anchors])
    assert not torch.equal(full.means_fixed[~anchors], base.means_fixed[~anchors])


def test_stream_codes_anchors_first(coder):
    """The ŷ stream is the anchors' symbols, then the non-anchors' (container.md)."""
    y = coder.analyse(torch.rand(1, 3, 64, 128), 60.0)
    z = coder.hyper_symbols(y)
    symbols, params = coder.quantize_latents(y, z)
    anchors = anchor_mask(*y.shape[2:]).expand_as(symbols)[0].numpy()
    s, idx = symbols[0].numpy(), params.indexes[0].numpy()
    order = np.concatenate([s[anchors], s[~anchors]]), np.concatenate([idx[anchors], idx[~anchors]])
    assert coder.code_latents(y).y_bytes == coder.y_tables.encode(*order)


def test_a_zero_context_decodes_the_same_latents_as_the_plain_model():
    plain = _trained_like(PLAIN)
    context = VariableRateHyperprior(CONTEXT)
    context.load_state_dict(plain.state_dict(), strict=False)
    a, b = model_from_bytes(export_bytes(plain)), model_from_bytes(export_bytes(context))
    x = torch.rand(1, 3, 64, 64)
    y = a.analyse(x, 40.0)
    assert torch.equal(a.decode_latents(a.code_latents(y)), b.decode_latents(b.code_latents(y)))
