"""Averaging sibling runs' weights: the mean, the summed cost, an export that codes
exactly, and the mixes that are refused."""

import dataclasses
import json

import pytest
import torch

from aecodec.models.loader import model_from_bytes
from aecodec.training.average import average_checkpoints, average_states
from aecodec.training.export import export_checkpoint
from aecodec.training.train import TrainConfig, train
from test_training import TINY


@pytest.fixture
def siblings(folder, tmp_path):
    """Two 2-step runs with different seeds, both from the same 1-step run's checkpoint."""
    base = TrainConfig(data=str(folder), out=str(tmp_path / "base"), steps=1, batch=2, crop=64,
                       warmup=1, threads=1, log_every=1)
    start = train(base, TINY)
    runs = []
    for seed in (3, 4):
        cfg = dataclasses.replace(base, out=str(tmp_path / f"run{seed}"), init=str(start), steps=2,
                                  seed=seed)
        runs.append(train(cfg, TINY))
    return runs


def test_average_is_the_mean_with_the_runs_costs_summed(siblings, tmp_path):
    a, b = (torch.load(p, weights_only=False) for p in siblings)
    out = tmp_path / "soup" / "checkpoint.pt"
    average_checkpoints(siblings, out)
    soup = torch.load(out, weights_only=False)
    name = "g_a.0.weight"
    assert not torch.equal(a["model"][name], b["model"][name])  # the seeds made them differ
    assert torch.allclose(soup["model"][name], (a["model"][name] + b["model"][name]) / 2, atol=1e-7)
    ints = [k for k, v in a["model"].items() if not v.is_floating_point()]
    assert ints and all(torch.equal(soup["model"][k], a["model"][k]) for k in ints)
    b["model"][ints[0]] = b["model"][ints[0]] + 1  # entropy tables are the first's, never a mean
    assert torch.equal(average_states([a, b])["model"][ints[0]], a["model"][ints[0]])
    assert soup["step"] == 4 and soup["cpu_seconds"] == pytest.approx(a["cpu_seconds"] + b["cpu_seconds"])
    assert sum(soup["cpu_seconds_by_cpu"].values()) == pytest.approx(soup["cpu_seconds"])
    assert [r["seed"] for r in soup["train_config"]["averaged"]] == [3, 4]

    export_checkpoint(out, tmp_path / "m.safetensors")
    sidecar = json.loads((tmp_path / "m.json").read_text())
    assert sidecar["steps"] == 4 and len(sidecar["train_config"]["averaged"]) == 2
    coder = model_from_bytes((tmp_path / "m.safetensors").read_bytes())
    y = coder.analyse(torch.rand(1, 3, 64, 64), 50.0)
    assert (coder.decode_latents(coder.code_latents(y)).float() - y).abs().max() <= 0.5 + 1e-3


def test_an_average_is_trained_on_with_init_not_resumed(siblings, tmp_path, folder):
    out = tmp_path / "soup" / "checkpoint.pt"
    average_checkpoints(siblings, out)
    cfg = TrainConfig(data=str(folder), out=str(out.parent), steps=3, batch=2, crop=64, warmup=1,
                      threads=1, log_every=1)
    with pytest.raises(ValueError, match="an average of runs.*--init"):
        train(cfg, TINY)
    cfg = dataclasses.replace(cfg, out=str(tmp_path / "on"), init=str(out), steps=1)
    assert torch.load(train(cfg, TINY), weights_only=False)["step"] == 1


def test_runs_from_other_weights_or_architectures_are_refused(siblings):
    a, b = (torch.load(p, weights_only=False) for p in siblings)
    with pytest.raises(ValueError, match="at least two"):
        average_states([a])
    other_start = {**b, "train_config": {**b["train_config"], "init": "elsewhere.safetensors"}}
    with pytest.raises(ValueError, match="different weights"):
        average_states([a, other_start])
    wider = {**b, "model_config": {**b["model_config"], "m": 16}}
    with pytest.raises(ValueError, match="architectures differ"):
        average_states([a, wider])
    fewer = {**b, "model": {k: v for k, v in b["model"].items() if k != "g_a.0.bias"}}
    with pytest.raises(ValueError, match="different tensors, e.g. g_a.0.bias"):
        average_states([a, fewer])
    scratch = [{**s, "train_config": {**s["train_config"], "init": None}} for s in (a, b)]
    with pytest.raises(ValueError, match="from scratch"):
        average_states(scratch)
    with pytest.raises(ValueError, match="itself an average"):
        average_states([a, average_states([a, b])])


def test_a_file_that_is_not_a_checkpoint_is_named(siblings, tmp_path):
    export = tmp_path / "m.safetensors"
    export.write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="m.safetensors is not a training checkpoint"):
        average_checkpoints([siblings[0], export], tmp_path / "out.pt")
