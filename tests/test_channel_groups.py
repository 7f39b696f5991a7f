"""Channel groups within the checkerboard halves: training model, export, exact coding."""

import pytest
import torch

from aecodec.models.context import anchor_mask
from aecodec.models.fixed_point import ACT_BITS
from aecodec.models.hyperprior import ModelConfig, VariableRateHyperprior
from aecodec.models.loader import model_from_bytes
from aecodec.training.export import export_bytes

CHECKER = ModelConfig(n=8, m=12, lambdas=(0.002, 0.02), context="checkerboard")
GROUPED = ModelConfig(n=8, m=12, lambdas=(0.002, 0.02), context="checkerboard", channel_groups=3)


def _trained_like(config: ModelConfig, seed: int = 0) -> VariableRateHyperprior:
    """A small model whose context networks are non-zero (as after training)."""
    torch.manual_seed(seed)
    model = VariableRateHyperprior(config)
    last_layers = [model.context.fuse[-1]]
    if model.channel_context is not None:
        last_layers += [net[-1] for net in model.channel_context.nets]
    with torch.no_grad():
        for layer in last_layers:
            layer.weight.normal_(0, 0.1)
            layer.bias.normal_(0, 0.1)
    return model


@pytest.fixture(scope="module")
def trained():
    return _trained_like(GROUPED)


@pytest.fixture(scope="module")
def coder(trained):
    return model_from_bytes(export_bytes(trained))


def test_export_ships_one_integer_network_per_later_group(coder):
    assert coder.config["channel_groups"] == 3
    assert [len(net) for net in coder.channel_layers] == [2, 2]
    assert coder.channel_layers[1][0].weight.shape[1] == 2 * 4 + 2 * 4  # own params + 2 groups


@pytest.mark.parametrize("size", [(64, 64), (64, 192), (128, 64)])
def test_decoded_latents_equal_the_encoders_symbols(coder, size):
    y = coder.analyse(torch.rand(1, 3, *size), 60.0)
    z = coder.hyper_symbols(y)
    symbols, params = coder.quantize_latents(y, z)
    expected = (symbols * 2**ACT_BITS + params.means_fixed).to(torch.float64) / 2**ACT_BITS
    assert torch.equal(coder.decode_latents(coder.code_latents(y)), expected)


def test_only_later_groups_are_corrected(coder):
    """Group 0's anchors keep the hyperprior's parameters; later groups' do not."""
    y = coder.analyse(torch.rand(1, 3, 128, 128), 60.0)
    z = coder.hyper_symbols(y)
    base = coder.entropy_parameters(z)
    _, full = coder.quantize_latents(y, z)
    anchors = anchor_mask(*y.shape[2:])[0, 0]
    first, later = slice(0, 4), slice(4, 12)
    assert torch.equal(full.means_fixed[:, first][:, :, anchors], base.means_fixed[:, first][:, :, anchors])
    assert not torch.equal(full.means_fixed[:, later][:, :, anchors], base.means_fixed[:, later][:, :, anchors])


def test_exact_parameters_follow_the_trained_network(trained, coder):
    """The decoder's integer walk computes what the float training model computes
    (so what training optimised is what gets coded): given the same ŷ, means
    agree to a small fraction of a quantization step."""
    x = torch.rand(1, 3, 128, 128)
    y = coder.analyse(x, 60.0)
    z = coder.hyper_symbols(y)
    symbols, exact = coder.quantize_latents(y, z)
    trained.eval()
    with torch.no_grad():
        z_hat = z.double() + coder.z_medians_fixed[None, :, None, None].double() / 2**ACT_BITS
        params = trained.h_s(z_hat.float())
        scales, means = trained.latent_parameters(y, params, autocast=False)
    error = (means.double() - exact.means_fixed.double() / 2**ACT_BITS).abs()
    assert error.median() < 0.01 and error.mean() < 0.05
    scale_error = (scales.double() - exact.scales_fixed.double() / 2**ACT_BITS).abs()
    assert scale_error.median() < 0.01


def test_float_walk_matches_the_exact_walk_and_carries_gradient_to_earlier_parts(coder):
    """``float_parameters`` (encoder-side estimates) computes the exact walk's
    parameters to a small fraction of a step, and the later parts' rate depends
    on the anchors' latents through it."""
    y = coder.analyse(torch.rand(1, 3, 128, 128), 60.0)
    z = coder.hyper_symbols(y)
    base = coder.entropy_parameters(z)
    _, exact = coder.quantize_latents(y, z)
    grid = lambda t: (t.double() / 2**ACT_BITS).float()
    y_in = y.detach().clone().requires_grad_(True)
    scales, means = coder.float_parameters(y_in, grid(base.scales_fixed), grid(base.means_fixed))
    assert (means.detach() - grid(exact.means_fixed)).abs().max() < 0.01
    assert (scales.detach() - grid(exact.scales_fixed)).abs().max() < 0.01
    anchors = anchor_mask(*y.shape[2:])[0, 0]
    means[:, :, ~anchors].sum().backward()  # the non-anchors' means alone
    assert y_in.grad[:, :, anchors].abs().sum() > 0 and y_in.grad[:, :, ~anchors].abs().sum() > 0
    last = y_in.grad[:, 8:][:, :, ~anchors]  # the last group's non-anchors condition nothing
    assert torch.equal(last, torch.zeros_like(last))


def test_zero_channel_networks_code_like_the_checkerboard_model():
    """Channel groups start at zero: a model initialised from a checkerboard model
    trains and codes exactly like it until the new networks learn."""
    plain = _trained_like(CHECKER)
    grouped = VariableRateHyperprior(GROUPED)
    missing, _ = grouped.load_state_dict(plain.state_dict(), strict=False)
    assert missing and all(k.startswith("channel_context.") for k in missing)
    plain.eval(), grouped.eval()
    x = torch.rand(2, 3, 64, 64)
    a = plain(x, torch.tensor([0.0, 1.0]), autocast=False)
    b = grouped(x, torch.tensor([0.0, 1.0]), autocast=False)
    assert torch.equal(a.x_hat, b.x_hat) and torch.equal(a.y_likelihoods, b.y_likelihoods)
    ca, cb = model_from_bytes(export_bytes(plain)), model_from_bytes(export_bytes(grouped))
    y = ca.analyse(x[:1], 40.0)
    assert ca.code_latents(y) == cb.code_latents(y)


def test_groups_must_divide_the_latent_channels():
    with pytest.raises(ValueError, match="channel groups"):
        VariableRateHyperprior(ModelConfig(n=8, m=12, lambdas=(0.002, 0.02), context="checkerboard",
                                           channel_groups=5))
    with pytest.raises(ValueError, match="checkerboard"):
        VariableRateHyperprior(ModelConfig(n=8, m=12, lambdas=(0.002, 0.02), channel_groups=3))
