"""Training: split rule, a few steps, resume, export → exact coding round trip."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from aecodec.models.hyperprior import ModelConfig
from aecodec.models.loader import model_from_bytes
from aecodec.training.data import list_images, split
from aecodec.training.export import export_bytes
from aecodec.training.train import TrainConfig, learning_rate, train

TINY = ModelConfig(n=8, m=12, lambdas=(0.002, 0.02))
REPO = Path(__file__).resolve().parent.parent


def test_split_holds_out_every_tenth():
    names = [f"{i:03d}.jpg" for i in range(25)]
    train_names, held = split(names)
    assert held == ["009.jpg", "019.jpg"] and len(train_names) == 23
    assert not set(held) & set(train_names)


def test_committed_manifest_follows_the_rule():
    from conftest import data_root
    root = data_root() / "train"
    if not root.is_dir():
        pytest.skip(f"training data not found at {root}")
    manifest = [l for l in (REPO / "benchmarks" / "heldout.txt").read_text().splitlines()
                if l and not l.startswith("#")]
    assert manifest == split(list_images(root))[1]


def test_learning_rate_schedule():
    cfg = TrainConfig(data="", out="", steps=1000, lr=1e-3, warmup=100, decay_from=0.8)
    assert learning_rate(cfg, 0) == pytest.approx(1e-5)
    assert learning_rate(cfg, 500) == 1e-3
    assert learning_rate(cfg, 999) == pytest.approx(5e-5, rel=0.01)
    half = TrainConfig(data="", out="", steps=1000, lr=1e-3, warmup=100, decay_from=0.5)
    assert learning_rate(half, 500) == pytest.approx(1e-3)
    assert learning_rate(half, 750) == pytest.approx((1e-3 + 5e-5) / 2)  # half-way down the cosine


def test_decay_from_must_be_a_fraction(capsys):
    from aecodec.training.train import main

    with pytest.raises(SystemExit):
        main(["--data", ".", "--decay-from", "1.5"])
    assert "1.5 is not between 0 and 1" in capsys.readouterr().err



def test_autocast_auto_follows_the_transforms_precision_test(monkeypatch):
    """bf16 only where the CPU computes it natively: emulated, a step took 8.5× as long."""
    from aecodec.models import codec_model
    from aecodec.training.train import resolve_autocast

    assert resolve_autocast("on") is True and resolve_autocast("off") is False
    for forced, expected in (("fp32", False), ("bf16", True)):
        monkeypatch.setenv(codec_model.PRECISION_ENV, forced)
        assert resolve_autocast("auto") is expected
    monkeypatch.delenv(codec_model.PRECISION_ENV)
    assert resolve_autocast("auto") is (codec_model.transform_precision("cpu") == "bf16")
    with pytest.raises(ValueError, match="--autocast must be one of auto, on, off"):
        resolve_autocast("bf16")


@pytest.mark.parametrize("args, expected", [([], "auto"), (["--autocast", "on"], True),
                                            (["--autocast", "off"], False), (["--no-autocast"], False)])
def test_train_command_resolves_autocast_before_training(monkeypatch, capsys, args, expected):
    from aecodec.models import codec_model
    from aecodec.training import train as train_module

    monkeypatch.setenv(codec_model.PRECISION_ENV, "fp32")  # as on a CPU without native bf16
    seen = []
    monkeypatch.setattr(train_module, "train", lambda cfg, model_config: seen.append(cfg))
    train_module.main(["--data", ".", *args])
    assert seen[0].autocast is (False if expected == "auto" else expected)
    out = capsys.readouterr().out
    assert ("fp32" if seen[0].autocast is False else "bf16 autocast") in out
    if expected == "auto":
        assert "no native bfloat16; --autocast on forces it" in out

def _crop_positions(photo, patch) -> list:
    """Where ``patch`` (or its mirror image) sits in ``photo``, pixel for pixel."""

    n = patch.shape[0]
    h, w = photo.shape[:2]
    return [(y, x) for y in range(h - n + 1) for x in range(w - n + 1)
            if np.array_equal(photo[y:y + n, x:x + n], patch)
            or np.array_equal(photo[y:y + n, x:x + n], patch[:, ::-1])]


def test_crops_at_min_scale_one_are_the_photos_own_pixels(tmp_path):
    from PIL import Image

    from aecodec.training.data import CropSampler

    photo = np.random.default_rng(0).integers(0, 256, (40, 52, 3), dtype=np.uint8)
    Image.fromarray(photo).save(tmp_path / "a.png")
    native = CropSampler(tmp_path, ["a.png"], crop=16, seed=1, min_scale=1.0)
    assert all(len(_crop_positions(photo, native.sample())) == 1 for _ in range(8))
    scaled = CropSampler(tmp_path, ["a.png"], crop=16, seed=1)  # the default, 0.5–1
    assert sum(not _crop_positions(photo, scaled.sample()) for _ in range(8)) >= 6


def test_min_scale_outside_zero_to_one_is_refused(tmp_path, capsys):
    from aecodec.training.data import CropSampler
    from aecodec.training.train import main

    with pytest.raises(ValueError, match="min_scale"):
        CropSampler(tmp_path, ["a.png"], crop=16, min_scale=0.0)
    with pytest.raises(SystemExit):
        main(["--data", ".", "--min-scale", "1.5"])
    assert "1.5 is not above 0 and at most 1" in capsys.readouterr().err


def test_train_resume_export_and_code(folder, tmp_path):
    out = tmp_path / "run"
    cfg = TrainConfig(data=str(folder), out=str(out), steps=3, batch=2, crop=64, warmup=1,
                      threads=1, log_every=1)  # noqa: E501
    ckpt = train(cfg, TINY)
    state = torch.load(ckpt, weights_only=False)
    assert state["step"] == 3
    cfg.steps = 5
    train(cfg, TINY)  # resumes from step 3
    state = torch.load(ckpt, weights_only=False)
    assert state["step"] == 5
    assert (out / "log.jsonl").read_text().count("\n") == 5

    from aecodec.models.hyperprior import VariableRateHyperprior
    model = VariableRateHyperprior(TINY)
    model.load_state_dict(state["model"])
    data = export_bytes(model)
    assert export_bytes(model) == data  # deterministic export
    coder = model_from_bytes(data)
    x = torch.rand(1, 3, 64, 128)
    y = coder.analyse(x, 50.0)
    streams = coder.code_latents(y)
    y_hat = coder.decode_latents(streams)
    assert y_hat.shape == (1, 12, 4, 8)
    assert (y_hat.float() - y).abs().max() <= 0.5 + 1e-3  # rounding around exact means


def test_cpu_hours_are_kept_by_the_cpu_they_ran_on_across_a_resume(folder, tmp_path, monkeypatch):
    """A step's cost depends on the CPU, so a run resumed on another machine keeps each
    machine's CPU-seconds apart, and the export carries them."""
    import aecodec.training.train as train_module
    from aecodec.training.export import export_checkpoint

    cfg = TrainConfig(data=str(folder), out=str(tmp_path / "run"), steps=2, batch=2, crop=64,
                      warmup=1, threads=1, log_every=1)
    monkeypatch.setattr(train_module, "cpu_name", lambda: "CPU A")
    ckpt = train(cfg, TINY)
    first = torch.load(ckpt, weights_only=False)
    assert first["cpu_seconds_by_cpu"] == {"CPU A": pytest.approx(first["cpu_seconds"])}
    monkeypatch.setattr(train_module, "cpu_name", lambda: "CPU B")
    cfg.steps = 4
    train(cfg, TINY)
    state = torch.load(ckpt, weights_only=False)
    by_cpu = state["cpu_seconds_by_cpu"]
    assert by_cpu["CPU A"] == first["cpu_seconds_by_cpu"]["CPU A"]
    assert by_cpu["CPU B"] > 0 and set(by_cpu) == {"CPU A", "CPU B"}
    assert sum(by_cpu.values()) == pytest.approx(state["cpu_seconds"])
    export_checkpoint(ckpt, tmp_path / "m.safetensors")
    sidecar = json.loads((tmp_path / "m.json").read_text())
    assert sidecar["cpu_hours_by_cpu"] == {cpu: round(s / 3600, 3) for cpu, s in by_cpu.items()}


def test_context_run_resumes_with_its_architecture_and_exports(folder, tmp_path):
    """A checkerboard run resumed without ``--context`` keeps its context model."""
    import dataclasses

    out = tmp_path / "run"
    cfg = TrainConfig(data=str(folder), out=str(out), steps=2, batch=2, crop=64, warmup=1,
                      threads=1, log_every=1)
    train(cfg, dataclasses.replace(TINY, context="checkerboard"))
    cfg.steps = 3
    train(cfg, TINY)  # the command line's default architecture: the checkpoint's wins
    state = torch.load(out / "checkpoint.pt", weights_only=False)
    assert state["step"] == 3 and state["model_config"]["context"] == "checkerboard"
    assert state["model"]["context.fuse.2.weight"].abs().sum() > 0  # the correction learnt

    from aecodec.training.export import export_checkpoint
    export_checkpoint(out / "checkpoint.pt", tmp_path / "m.safetensors")
    coder = model_from_bytes((tmp_path / "m.safetensors").read_bytes())
    assert coder.has_context
    y = coder.analyse(torch.rand(1, 3, 64, 64), 50.0)
    assert (coder.decode_latents(coder.code_latents(y)).float() - y).abs().max() <= 0.5 + 1e-3


def test_channel_groups_start_from_a_checkerboard_run_and_export(folder, tmp_path):
    """``--init`` a checkerboard checkpoint into a model with channel groups: the
    shared weights carry over, the group networks learn from zero, and the export
    codes exactly."""
    import dataclasses

    checker = dataclasses.replace(TINY, context="checkerboard")
    grouped = dataclasses.replace(checker, channel_groups=3)
    cfg = TrainConfig(data=str(folder), out=str(tmp_path / "a"), steps=2, batch=2, crop=64, warmup=1,
                      threads=1, log_every=1)
    train(cfg, checker)
    before = torch.load(tmp_path / "a" / "checkpoint.pt", weights_only=False)["model"]
    cfg = dataclasses.replace(cfg, out=str(tmp_path / "b"), init=str(tmp_path / "a" / "checkpoint.pt"),
                              steps=0)
    train(cfg, grouped)
    start = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=False)
    assert torch.equal(start["model"]["context.context.weight"], before["context.context.weight"])
    assert start["model"]["channel_context.nets.1.2.weight"].abs().sum() == 0
    cfg.steps = 2
    train(cfg, grouped)
    state = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=False)
    assert state["model_config"]["channel_groups"] == 3
    assert state["model"]["channel_context.nets.1.2.weight"].abs().sum() > 0

    from aecodec.training.export import export_checkpoint
    export_checkpoint(tmp_path / "b" / "checkpoint.pt", tmp_path / "m.safetensors")
    coder = model_from_bytes((tmp_path / "m.safetensors").read_bytes())
    assert len(coder.channel_layers) == 2
    y = coder.analyse(torch.rand(1, 3, 64, 64), 50.0)
    assert (coder.decode_latents(coder.code_latents(y)).float() - y).abs().max() <= 0.5 + 1e-3


def test_a_second_trainer_on_the_same_run_is_refused(folder, tmp_path):
    from aecodec.training.train import _lock_run

    out = tmp_path / "run"
    out.mkdir()
    held = _lock_run(out)
    cfg = TrainConfig(data=str(folder), out=str(out), steps=1, batch=2, crop=64, warmup=1, threads=1)
    with pytest.raises(RuntimeError, match="another training process"):
        train(cfg, TINY)
    held.close()
    train(cfg, TINY)  # the lock is released with its holder
    assert (out / "checkpoint.pt").exists()


def test_distributed_two_processes_match_one(folder, tmp_path):
    """torchrun with 2 gloo processes: the logged loss matches a 1-process run within 2 %."""
    import subprocess
    import sys

    common = ["--data", str(folder), "--steps", "3", "--batch", "4", "--crop", "64", "--warmup", "1",
              "--threads", "1", "--log-every", "1", "--transform-channels", "8", "--latent-channels", "12"]
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("WORLD_SIZE", "RANK")}
    subprocess.run([sys.executable, "-m", "aecodec.training.train", "--out", str(tmp_path / "one"), *common],
                   check=True, env=env, timeout=300, capture_output=True)
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                    "-m", "aecodec.training.train", "--out", str(tmp_path / "two"), *common],
                   check=True, env=env, timeout=300, capture_output=True)
    one = [json.loads(l)["loss"] for l in (tmp_path / "one" / "log.jsonl").read_text().splitlines()]
    two = [json.loads(l)["loss"] for l in (tmp_path / "two" / "log.jsonl").read_text().splitlines()]
    assert len(one) == len(two) == 3
    for a, b in zip(one, two):
        assert abs(a - b) <= 0.02 * abs(a), (one, two)


def test_init_from_shipped_weights_restores_the_transforms(tmp_path):
    from aecodec.models.hyperprior import VariableRateHyperprior
    from aecodec.models.loader import WEIGHTS_DIR, load_model
    from aecodec.models.registry import DEFAULT_MODEL_ID, MODELS
    from aecodec.training.train import config_of_weights, init_from_export

    path = WEIGHTS_DIR / MODELS[DEFAULT_MODEL_ID].filename
    config = config_of_weights(str(path))
    model = VariableRateHyperprior(config)
    init_from_export(model, str(path))
    shipped = load_model(DEFAULT_MODEL_ID)
    for name in ("g_s.0.weight", "g_a.6.bias") + (("g_s.blocks.3.0.mix.weight",) if config.residual_blocks else ()):
        assert torch.equal(model.get_parameter(name).half().float(), shipped.get_parameter(name)), name
    assert torch.equal(model.log_gain, shipped.log_gain)
    w = shipped.hs_layers[0].weight.double() * 2.0 ** -shipped.hs_layers[0].shift
    assert torch.allclose(model.h_s[0].weight.double(), w)


def _trained_prior_export(tmp_path):
    """A tiny model whose prior's density is unlike a fresh one's, and its export."""
    from aecodec.models.hyperprior import VariableRateHyperprior

    from compressai.entropy_models import EntropyBottleneck

    torch.manual_seed(0)
    trained = VariableRateHyperprior(TINY)
    narrow = EntropyBottleneck(TINY.n, init_scale=0.5).state_dict()  # a fresh prior's is 10
    trained.entropy_bottleneck.load_state_dict(narrow)
    with torch.no_grad():
        for p in trained.entropy_bottleneck.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    data = export_bytes(trained)
    (tmp_path / "m.safetensors").write_bytes(data)
    return trained, data


def test_init_from_an_export_restores_the_factorized_prior(tmp_path):
    """Exports carry the prior's density (``prior.*``): a run started from one
    rates ẑ exactly as the exported model did."""
    from safetensors.torch import load

    from aecodec.models.hyperprior import VariableRateHyperprior
    from aecodec.training.export import PRIOR_PREFIX
    from aecodec.training.train import init_from_export

    trained, data = _trained_prior_export(tmp_path)
    assert {k[len(PRIOR_PREFIX):] for k in load(data) if k.startswith(PRIOR_PREFIX)} == \
        {n for n, _ in trained.entropy_bottleneck.named_parameters()}
    started = VariableRateHyperprior(TINY)
    init_from_export(started, str(tmp_path / "m.safetensors"))
    z = torch.randn(1, TINY.n, 3, 5) * 2
    assert torch.equal(started.entropy_bottleneck(z, training=False)[1],
                       trained.entropy_bottleneck(z, training=False)[1])


def test_init_from_an_export_without_prior_fits_it_to_the_z_tables(tmp_path):
    """Models 2–14 ship only z's CDF tables: the prior is fitted to them, so its
    symbol probabilities match the tables (a fresh prior's do not), and decoding,
    which reads only the tables, is the same with or without ``prior.*``."""
    from safetensors.torch import load, save

    from aecodec.models.hyperprior import VariableRateHyperprior
    from aecodec.training.export import PRIOR_PREFIX
    from aecodec.training.prior import table_pmfs
    from aecodec.training.train import init_from_export

    _, data = _trained_prior_export(tmp_path)
    tensors = load(data)
    old = {k: v for k, v in tensors.items() if not k.startswith(PRIOR_PREFIX)}
    meta = json.loads(data[8:8 + int.from_bytes(data[:8], "little")])["__metadata__"]
    old_data = save(old, metadata=meta)
    (tmp_path / "old.safetensors").write_bytes(old_data)
    assert np.array_equal(model_from_bytes(data).z_tables.cdf, model_from_bytes(old_data).z_tables.cdf)

    pmf, valid = table_pmfs(tensors["z.cdf"], tensors["z.cdf_length"])
    values = (tensors["z.medians_fixed"].double()[:, None] / 256 + tensors["z.offset"].double()[:, None]
              + torch.arange(pmf.shape[1])[None, :]).float()[:, None, :]

    @torch.no_grad()
    def excess_bits(model) -> float:  # cross-entropy to the tables minus their entropy
        likelihood = model.entropy_bottleneck._likelihood(values)[0][:, 0].double().clamp_min(1e-12)
        return float((pmf * (torch.log2(pmf.clamp_min(1e-300)) - torch.log2(likelihood))).sum(1).mean())

    fitted = VariableRateHyperprior(TINY)
    init_from_export(fitted, str(tmp_path / "old.safetensors"))
    fresh = VariableRateHyperprior(TINY)
    assert excess_bits(fitted) < 0.01 < excess_bits(fresh)


def test_noise_for_denoising_is_8_bit_with_a_per_sample_sigma():
    from aecodec.training.train import add_noise

    x = torch.full((64, 3, 16, 16), 0.5)
    noisy = add_noise(x, 25.0, torch.Generator().manual_seed(0))
    assert noisy.min() >= 0 and noisy.max() <= 1
    assert torch.equal(noisy * 255, (noisy * 255).round())
    sigmas = (noisy - x).flatten(1).std(1) * 255
    assert sigmas.max() <= 25 * 1.15 and sigmas.min() < 5 and sigmas.max() > 15  # σ ~ U(0, 25)
    again = add_noise(x, 25.0, torch.Generator().manual_seed(0))
    assert torch.equal(noisy, again)


def test_denoising_loss_measures_distortion_against_the_clean_target():
    from aecodec.models.hyperprior import VariableRateHyperprior
    from aecodec.training.train import rd_loss

    torch.manual_seed(0)
    model = VariableRateHyperprior(TINY)
    clean = torch.rand(2, 3, 64, 64)
    noisy = (clean + 0.2 * torch.randn_like(clean)).clamp(0, 1)
    levels, lambdas = torch.tensor([0, 1]), torch.tensor(TINY.lambdas)
    _, _, _, mse_self = rd_loss(model, noisy, levels, lambdas, False)
    _, _, _, mse_clean = rd_loss(model, noisy, levels, lambdas, False, target=clean)
    assert not torch.allclose(mse_self, mse_clean)


def test_denoising_run_trains_and_resumes(folder, tmp_path):
    cfg = TrainConfig(data=str(folder), out=str(tmp_path / "dn"), steps=2, batch=2, crop=64, warmup=1,
                      threads=1, log_every=1, noise_sigma=25.0)
    state = torch.load(train(cfg, TINY), weights_only=False)
    assert state["step"] == 2 and "noise_rng" in state and state["train_config"]["noise_sigma"] == 25.0


@pytest.mark.parametrize("power", [0.3, -0.2])
def test_level_weights_have_mean_one_and_lean_by_the_power(power):
    """``power > 0`` favours the low rates, ``power < 0`` the high rates; 0 weighs all alike."""
    from aecodec.training.train import level_weights

    lambdas = torch.tensor(TINY.lambdas)
    assert torch.equal(level_weights(lambdas, 0.0), torch.ones(len(TINY.lambdas)))
    w = level_weights(lambdas, power)
    assert float(w.mean()) == pytest.approx(1.0, abs=1e-6)
    steps = w[1:] - w[:-1]
    assert bool((steps < 0).all() if power > 0 else (steps > 0).all())  # which end gets more weight
    ratio = float(w[0] / w[-1])
    assert ratio == pytest.approx((TINY.lambdas[-1] / TINY.lambdas[0]) ** power, rel=1e-5)


def test_weighted_loss_scales_each_sample_by_its_levels_weight():
    from aecodec.models.hyperprior import VariableRateHyperprior
    from aecodec.training.train import level_weights, rd_loss

    torch.manual_seed(0)
    model = VariableRateHyperprior(TINY).eval()
    x = torch.rand(2, 3, 64, 64)
    levels, lambdas = torch.tensor([0, len(TINY.lambdas) - 1]), torch.tensor(TINY.lambdas)
    weights = level_weights(lambdas, 0.5)
    with torch.no_grad():
        plain, _, bpp, mse = rd_loss(model, x, levels, lambdas, False)
        weighted, _, _, _ = rd_loss(model, x, levels, lambdas, False, weights=weights)
    per_sample = lambdas[levels] * 255.0**2 * mse + bpp
    assert float(plain) == pytest.approx(float(per_sample.mean()), rel=1e-5)
    assert float(weighted) == pytest.approx(float((weights[levels] * per_sample).mean()), rel=1e-5)
    assert float(weighted) != pytest.approx(float(plain), rel=1e-3)


#: Where each block-count field puts its blocks (``<transform>.blocks.<after layer>``).
GROWN_BLOCKS = {
    "residual_blocks": {"g_a.blocks.3", "g_a.blocks.5", "g_s.blocks.1", "g_s.blocks.3"},
    "analysis_blocks": {"g_a.blocks.1"},
}


@pytest.mark.parametrize("field", sorted(GROWN_BLOCKS))
def test_residual_blocks_grow_a_trained_model_without_changing_its_output(folder, tmp_path, field):
    """``--init`` a plain checkpoint into a model with residual blocks (per stage of
    ``g_a`` and ``g_s``, or at ``g_a``'s 1/2-size stage): the new blocks are the
    identity (same output, bit for bit), then they learn, and the export carries
    them into a coder."""
    import dataclasses

    from aecodec.models.hyperprior import VariableRateHyperprior
    from aecodec.training.export import export_checkpoint

    grown_config = dataclasses.replace(TINY, **{field: 2})
    cfg = TrainConfig(data=str(folder), out=str(tmp_path / "a"), steps=2, batch=2, crop=64, warmup=1,
                      threads=1, log_every=1)
    train(cfg, TINY)
    cfg = dataclasses.replace(cfg, out=str(tmp_path / "b"), init=str(tmp_path / "a" / "checkpoint.pt"),
                              steps=0)
    train(cfg, grown_config)
    plain, grown = VariableRateHyperprior(TINY), VariableRateHyperprior(grown_config)
    plain.load_state_dict(torch.load(tmp_path / "a" / "checkpoint.pt", weights_only=False)["model"])
    grown.load_state_dict(torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=False)["model"])
    x, position = torch.rand(1, 3, 64, 64), torch.tensor([0.5])
    with torch.no_grad():
        a, b = plain.eval()(x, position, autocast=False), grown.eval()(x, position, autocast=False)
    assert torch.equal(a.x_hat, b.x_hat) and torch.equal(a.y_likelihoods, b.y_likelihoods)

    cfg.steps = 2
    train(cfg, grown_config)
    state = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=False)
    assert state["model_config"][field] == 2
    expands = [k for k in state["model"] if k.endswith("expand.weight")]
    assert {k.rsplit(".", 3)[0] for k in expands} == GROWN_BLOCKS[field]  # each in its place
    assert len(expands) == 2 * len(GROWN_BLOCKS[field])
    for name in expands:
        assert state["model"][name].abs().sum() > 0, name  # the blocks learnt
    export_checkpoint(tmp_path / "b" / "checkpoint.pt", tmp_path / "m.safetensors")
    coder = model_from_bytes((tmp_path / "m.safetensors").read_bytes())
    assert coder.config[field] == 2 and set(coder.config) & set(GROWN_BLOCKS) == {field}
    name = expands[-1].replace("expand", "mix")
    assert torch.equal(coder.state_dict()[name], state["model"][name].half().float())
    y = coder.analyse(torch.rand(1, 3, 64, 64), 50.0)
    assert (coder.decode_latents(coder.code_latents(y)).float() - y).abs().max() <= 0.5 + 1e-3


def test_analysis_blocks_flag_reaches_the_checkpoint_and_its_export(folder, tmp_path):
    """``aecodec train --analysis-blocks H`` builds ``g_a`` with them and ``g_s`` without,
    and the export records them for the loader."""
    from aecodec.training.export import export_checkpoint
    from aecodec.training.train import config_of_weights, main

    run = tmp_path / "run"
    main(["--data", str(folder), "--out", str(run), "--steps", "1", "--batch", "2", "--crop", "64",
          "--warmup", "1", "--threads", "1", "--transform-channels", "8", "--latent-channels", "12",
          "--analysis-blocks", "1"])
    config = config_of_weights(str(run / "checkpoint.pt"))
    assert (config.residual_blocks, config.analysis_blocks) == (0, 1)
    export_checkpoint(run / "checkpoint.pt", tmp_path / "m.safetensors")
    coder = model_from_bytes((tmp_path / "m.safetensors").read_bytes())
    assert list(coder.g_a.blocks) == ["1"] and isinstance(coder.g_s, torch.nn.Sequential)
    assert config_of_weights(str(tmp_path / "m.safetensors")) == config


@pytest.mark.parametrize("field", sorted(GROWN_BLOCKS))
def test_residual_weights_are_refused_by_a_model_without_blocks(folder, tmp_path, field):
    """Starting a plain model from weights with residual blocks would drop them: an error
    that names the flag, for a checkpoint and for an export alike."""
    import dataclasses

    from aecodec.models.hyperprior import VariableRateHyperprior
    from aecodec.training.export import export_checkpoint
    from aecodec.training.train import _load_initial

    cfg = TrainConfig(data=str(folder), out=str(tmp_path / "a"), steps=1, batch=2, crop=64, warmup=1,
                      threads=1, log_every=1)
    train(cfg, dataclasses.replace(TINY, **{field: 1}))
    export_checkpoint(tmp_path / "a" / "checkpoint.pt", tmp_path / "m.safetensors")
    flag = "--" + field.replace("_", "-")
    for source in (tmp_path / "a" / "checkpoint.pt", tmp_path / "m.safetensors"):
        with pytest.raises(ValueError, match=f"{flag} 1"):
            _load_initial(VariableRateHyperprior(TINY), str(source))


def test_train_step_benchmark_times_each_block_count_against_the_plain_model():
    from benchmarks.train_step import run

    res = run([0, 1], repeats=1, batch=1, crop=64, threads=1)
    assert res["isa"] == torch.backends.cpu.get_cpu_capability() and "cpu" in res
    plain, one = res["rows"]
    assert plain["ratio"] == 1.0 and one["ratio"] > 0
    n, mid = 128, 64  # a block: 1×1 to n/2, 3×3, 1×1 back; 2 stages × (g_a, g_s)
    per_block = (n * mid + mid) + (mid * mid * 9 + mid) + (mid * n + n)
    assert one["parameters"] - plain["parameters"] == 4 * per_block
    small, large = run([0], repeats=1, batch=1, crop=64, threads=1, latent_channels=(192, 320))["rows"]
    assert (small["latent_channels"], large["latent_channels"]) == (192, 320)
    assert small["parameters"] == plain["parameters"] and large["parameters"] > small["parameters"]
    bf16, fp32 = run([0], repeats=1, batch=1, crop=64, threads=1, autocast=("on", "off"))["rows"]
    assert (bf16["autocast"], bf16["bf16"], fp32["autocast"], fp32["bf16"]) == ("on", True, "off", False)
    assert fp32["parameters"] == bf16["parameters"] == plain["parameters"] and fp32["ratio"] > 0
    _, half = run([0], repeats=1, batch=1, crop=64, threads=1, analysis_blocks=(0, 2))["rows"]
    assert (half["residual_blocks"], half["analysis_blocks"]) == (0, 2)
    assert half["parameters"] - plain["parameters"] == 2 * per_block  # g_a only, one stage


def test_validation_codes_the_same_crops_and_tells_checkpoints_apart(folder, tmp_path):
    """The yardstick is deterministic (same crops, rounded latents), is written at every
    checkpoint, and separates a trained checkpoint from its untrained start."""

    from aecodec.training.validate import evaluate_checkpoint, fixed_crops

    crops = fixed_crops(folder, 3, 64)
    assert torch.equal(crops, fixed_crops(folder, 3, 64)) and crops.shape == (3, 3, 64, 64)
    cfg = TrainConfig(data=str(folder), out=str(tmp_path / "a"), steps=0, batch=2, crop=64, warmup=1,
                      threads=1, log_every=1, val_crops=3, lr=1e-3)
    train(cfg, TINY)
    start = evaluate_checkpoint(tmp_path / "a" / "checkpoint.pt", crops)
    assert evaluate_checkpoint(tmp_path / "a" / "checkpoint.pt", crops) == start
    cfg.steps = 30
    train(cfg, TINY)
    trained = evaluate_checkpoint(tmp_path / "a" / "checkpoint.pt", crops)
    assert trained["step"] == 30 and trained["loss"] < start["loss"]
    logged = [json.loads(line) for line in (tmp_path / "a" / "val.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logged] == [0, 30]
    assert logged[-1]["loss"] == pytest.approx(trained["loss"], rel=1e-3) and set(logged[-1]) >= {"bpp0", "psnr1", "cpu_hours"}

    from aecodec.training.export import export_checkpoint
    export_checkpoint(tmp_path / "a" / "checkpoint.pt", tmp_path / "a.safetensors")
    exported = evaluate_checkpoint(tmp_path / "a.safetensors", crops)  # fp16 transforms, integer h_s
    assert exported["step"] == 30
    for key in ("loss", "bpp0", "bpp1"):
        assert exported[key] == pytest.approx(trained[key], rel=0.02), key
    fp32 = evaluate_checkpoint(tmp_path / "a" / "checkpoint.pt", crops, autocast=False)
    for key in ("loss", "bpp0", "bpp1"):  # the same model with fp32 transforms
        assert fp32[key] == pytest.approx(trained[key], rel=0.02), key


def test_validate_command_reads_autocast(folder, tmp_path, capsys):
    """`python -m aecodec.training.validate --autocast off` says it runs the transforms in
    fp32 and prints each checkpoint's levels; a choice outside auto/on/off is refused."""
    from aecodec.training.validate import main

    cfg = TrainConfig(data=str(folder), out=str(tmp_path / "a"), steps=2, batch=2, crop=64, warmup=1,
                      threads=1, log_every=1, val_crops=0)
    train(cfg, TINY)
    capsys.readouterr()  # the run's own log
    main([str(tmp_path / "a" / "checkpoint.pt"), "--data", str(folder), "--count", "2", "--crop", "64",
          "--autocast", "off"])
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "transforms in fp32"
    assert out[1].startswith(f"{tmp_path / 'a' / 'checkpoint.pt'}  step 2  loss ")
    assert len(out[1].split("by level: ")[1].split("  ")) == TINY.levels
    with pytest.raises(SystemExit):
        main([str(tmp_path / "a" / "checkpoint.pt"), "--data", str(folder), "--autocast", "bf16"])
