"""Growing the latent channels M of a trained model (``--init … --latent-channels``)."""

import dataclasses

import pytest
import torch

from aecodec.models.hyperprior import ModelConfig, VariableRateHyperprior
from aecodec.models.loader import model_from_bytes
from aecodec.training.export import export_bytes, export_checkpoint
from aecodec.training.grow import grow_latents, latent_places
from aecodec.training.train import TrainConfig, config_of_weights, train

SMALL = ModelConfig(n=8, m=12, lambdas=(0.002, 0.02), context="checkerboard", channel_groups=3,
                    residual_blocks=1)
GROWN = dataclasses.replace(SMALL, m=21)


def _trained_looking(config: ModelConfig) -> VariableRateHyperprior:
    """A model whose zero-initialised parts (context, channel nets, blocks) are not zero."""
    torch.manual_seed(0)
    model = VariableRateHyperprior(config)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model.eval()


def test_latent_places_keep_each_group_together():
    assert latent_places(6, 9, 3).tolist() == [0, 1, 3, 4, 6, 7]
    assert latent_places(4, 6, 1).tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="split into 3 groups"):
        latent_places(6, 10, 3)


def test_grown_model_synthesises_the_same_image_and_codes_old_channels_alike():
    small = _trained_looking(SMALL)
    grown = VariableRateHyperprior(GROWN).eval()
    grow_latents(small, grown)
    x, position = torch.rand(1, 3, 64, 64), torch.tensor([0.4])
    with torch.no_grad():
        a, b = small(x, position, autocast=False), grown(x, position, autocast=False)
        y_new = grown.g_a(x)[:, _new_channels()]
    assert (a.x_hat - b.x_hat).abs().max() < 1e-5
    assert torch.equal(a.z_likelihoods, b.z_likelihoods)
    assert torch.allclose(a.y_likelihoods, b.y_likelihoods[:, latent_places(12, 21, 3)], atol=1e-6)
    assert y_new.abs().mean() > 1e-3  # the new channels carry signal, so they can learn
    assert torch.equal(grown.g_s.get_submodule("0").weight[_new_channels()], torch.zeros(9, 8, 5, 5))
    # new channels' gains start at the old channels' mean, per level
    assert torch.allclose(grown.log_gain[:, _new_channels()],
                          small.log_gain.mean(dim=1, keepdim=True).expand(-1, 9))


def _new_channels() -> torch.Tensor:
    keep = torch.ones(21, dtype=torch.bool)
    keep[latent_places(12, 21, 3)] = False
    return keep.nonzero().flatten()


def test_growing_refuses_fewer_channels_or_another_context():
    small = _trained_looking(SMALL)
    with pytest.raises(ValueError, match="start with --latent-channels 12"):
        grow_latents(small, VariableRateHyperprior(dataclasses.replace(SMALL, m=9)))
    with pytest.raises(ValueError, match="keeps channel_groups"):
        grow_latents(small, VariableRateHyperprior(dataclasses.replace(SMALL, m=24, channel_groups=4)))
    with pytest.raises(ValueError, match="at least --residual-blocks 1"):
        grow_latents(small, VariableRateHyperprior(dataclasses.replace(GROWN, residual_blocks=0)))


def test_train_grows_a_checkpoint_learns_the_new_channels_and_exports(folder, tmp_path):
    cfg = TrainConfig(data=str(folder), out=str(tmp_path / "a"), steps=2, batch=2, crop=64, warmup=1,
                      threads=1, log_every=1)
    train(cfg, SMALL)
    source = tmp_path / "a" / "checkpoint.pt"
    assert config_of_weights(str(source)) == SMALL
    cfg = dataclasses.replace(cfg, out=str(tmp_path / "b"), init=str(source), steps=3, lr=1e-3)
    train(cfg, GROWN)
    state = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=False)
    assert state["model_config"]["m"] == 21
    assert state["model"]["g_s.0.weight"][_new_channels()].abs().sum() > 0  # learnt to read them
    export_checkpoint(tmp_path / "b" / "checkpoint.pt", tmp_path / "m.safetensors")
    coder = model_from_bytes((tmp_path / "m.safetensors").read_bytes())
    y = coder.analyse(torch.rand(1, 3, 64, 64), 50.0)
    y_hat = coder.decode_latents(coder.code_latents(y))
    assert y_hat.shape == (1, 21, 4, 4)
    assert (y_hat.float() - y).abs().max() <= 0.5 + 1e-3


def test_grows_from_shipped_style_weights(tmp_path):
    small = _trained_looking(SMALL)
    path = tmp_path / "small.safetensors"
    path.write_bytes(export_bytes(small))
    assert config_of_weights(str(path)) == SMALL
    from aecodec.training.train import _load_initial

    grown = VariableRateHyperprior(GROWN)
    _load_initial(grown, str(path))
    places = latent_places(12, 21, 3)
    assert torch.equal(grown.g_s.get_submodule("0").weight[places], small.g_s.get_submodule("0").weight.half().float())
