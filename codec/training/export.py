"""Export a training checkpoint to a shippable safetensors file.

What is written (and never recomputed at load time):

* ``g_a``, ``g_s``, ``h_a``: float transforms (convolutions fp16, GDN fp32);
* ``log_gain``, ``log_inverse_gain``: the rate levels' channel gains (fp32);
* ``h_s.{i}.weight`` / ``h_s.{i}.bias``: the integer hyper-synthesis
  (:mod:`aecodec.models.fixed_point`), with each layer's shift in the metadata;
* ``cx.0.*`` and ``cf.{i}.*`` (checkerboard context models only): the integer
  context convolution and fusion layers (:mod:`aecodec.models.context`);
* ``cc{g}.{i}.*`` (models with channel groups): the integer network of channel
  group ``g`` = 1, 2, … (:class:`~aecodec.models.context.ChannelContext`);
* ``z.*``: the factorized prior's quantized CDFs and its medians on the 2**-8 grid;
* ``y.*``: the Gaussian scale table's quantized CDFs and the integer thresholds
  that choose a table row from a fixed-point scale;
* ``prior.*`` (exports from model 15 on): the factorized prior's float density
  parameters (fp32), for training only: a run started from the file
  (``aecodec train --init``) resumes the prior where it was instead of
  re-learning it. Coding never reads them: ``z.*`` holds what it needs.

A JSON sidecar records provenance: steps, CPU-hours, sha256.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import torch
from safetensors.torch import save

from ..entropy import factorized_tables, gaussian_tables
from ..models.fixed_point import ACT_BITS, WEIGHT_BITS, FixedLayer, check_bounds, quantize_layer
from ..models.hyperprior import SCALE_MIN, ModelConfig, VariableRateHyperprior

#: Tensor-name prefix of the factorized prior's training parameters in an export.
PRIOR_PREFIX = "prior."

#: The Gaussian scale table (as CompressAI's): 64 log-spaced scales 0.11 … 256.
SCALE_TABLE = torch.exp(torch.linspace(math.log(SCALE_MIN), math.log(256.0), 64))


def fixed_layers(mods: list[torch.nn.Module]) -> tuple[list[FixedLayer], list[dict]]:
    """Integer layers (and their metadata specs) of a conv/deconv/ReLU sequence."""
    layers, specs = [], []
    for i, mod in enumerate(mods):
        if not isinstance(mod, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            continue
        relu = i + 1 < len(mods) and isinstance(mods[i + 1], torch.nn.ReLU)
        deconv = isinstance(mod, torch.nn.ConvTranspose2d)
        layer = quantize_layer("deconv" if deconv else "conv", mod.weight.detach(),
                               mod.bias.detach(), mod.stride[0], mod.padding[0],
                               mod.output_padding[0] if deconv else 0, relu)
        layers.append(layer)
        specs.append({"kind": layer.kind, "shift": layer.shift, "stride": layer.stride,
                      "padding": layer.padding, "output_padding": layer.output_padding,
                      "relu": layer.relu})
    check_bounds(layers)
    return layers, specs


def _integer_networks(model: VariableRateHyperprior) -> dict[str, list[torch.nn.Module]]:
    """The networks shipped as integers, by tensor prefix (``h_s``; ``cx``/``cf`` with a context)."""
    nets = {"h_s": list(model.h_s)}
    if model.context is not None:
        nets["cx"] = [model.context.context]
        nets["cf"] = list(model.context.fuse)
    if model.channel_context is not None:
        for g, net in enumerate(model.channel_context.nets, start=1):
            nets[f"cc{g}"] = list(net)
    return nets


def export_bytes(model: VariableRateHyperprior, provenance: dict | None = None) -> bytes:
    """Serialize a trained model to safetensors bytes (deterministic for given weights)."""
    model = model.float().eval()
    tensors: dict[str, torch.Tensor] = {}
    for name, value in model.state_dict().items():
        top = name.split(".")[0]
        if top in ("g_a", "g_s", "h_a"):
            is_gdn = name.endswith(("beta", "gamma")) or "pedestal" in name
            tensors[name] = value.float() if is_gdn else value.half()
    tensors["log_gain"] = model.log_gain.detach().float()
    tensors["log_inverse_gain"] = model.log_inverse_gain.detach().float()
    for name, value in model.entropy_bottleneck.named_parameters():
        tensors[f"{PRIOR_PREFIX}{name}"] = value.detach().float()
    integer_specs = {}
    for prefix, mods in _integer_networks(model).items():
        layers, integer_specs[prefix] = fixed_layers(mods)
        for i, layer in enumerate(layers):
            # |W| ≤ 2**WEIGHT_BITS fits int16 (files of models 1–4 hold int32; readers take either)
            if int(layer.weight.abs().max()) > 2**WEIGHT_BITS:
                raise ValueError(f"{prefix}.{i}: integer weights exceed {WEIGHT_BITS} bits")
            tensors[f"{prefix}.{i}.weight"] = layer.weight.to(torch.int16)
            tensors[f"{prefix}.{i}.bias"] = layer.bias.to(torch.int64)
    z = factorized_tables(model.entropy_bottleneck)
    medians = model.entropy_bottleneck.quantiles[:, 0, 1].detach().double()
    tensors["z.medians_fixed"] = torch.round(medians * 2**ACT_BITS).to(torch.int64)
    y = gaussian_tables(SCALE_TABLE)
    thresholds = torch.floor(SCALE_TABLE[:-1].double() * 2**ACT_BITS).to(torch.int64)
    for prefix, tables in (("z", z), ("y", y)):
        tensors[f"{prefix}.cdf"] = torch.from_numpy(tables.cdf)
        tensors[f"{prefix}.cdf_length"] = torch.from_numpy(tables.length)
        tensors[f"{prefix}.offset"] = torch.from_numpy(tables.offset)
    tensors["y.scale_thresholds"] = thresholds
    config = {"architecture": "mean-scale-hyperprior-vr", "n": model.config.n, "m": model.config.m,
              "levels": model.config.levels, "lambdas": list(model.config.lambdas),
              "act_bits": ACT_BITS, **integer_specs}
    if model.context is not None:
        config["context"] = model.config.context
    if model.channel_context is not None:
        config["channel_groups"] = model.config.channel_groups
    if model.config.residual_blocks:  # absent from plain models' files, as before
        config["residual_blocks"] = model.config.residual_blocks
    if model.config.analysis_blocks:
        config["analysis_blocks"] = model.config.analysis_blocks
    meta = {"config": json.dumps(config, sort_keys=True)}
    if provenance:
        meta["provenance"] = json.dumps(provenance, sort_keys=True)
    return save({k: v.contiguous() for k, v in sorted(tensors.items())}, metadata=meta)


def export_checkpoint(checkpoint: Path, out: Path, parent: Path | None = None) -> str:
    """Export ``checkpoint`` to ``out`` (+ ``.json`` sidecar); returns the sha256.

    ``parent`` is the sidecar of the export the run started from (``--init``):
    its steps and CPU-hours are added to the totals, so the trajectory counts
    every CPU-hour spent on these weights.
    """
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    config = ModelConfig(**{k: tuple(v) if isinstance(v, list) else v
                            for k, v in state["model_config"].items()})
    model = VariableRateHyperprior(config)
    model.load_state_dict(state["model"])
    provenance = {"steps": state["step"], "cpu_hours": round(state["cpu_seconds"] / 3600, 3),
                  "train_config": state.get("train_config", {}),
                  "model_config": state["model_config"]}
    if "cpu_seconds_by_cpu" in state:  # this run's CPU-hours by the CPU they ran on
        provenance["cpu_hours_by_cpu"] = {cpu: round(sec / 3600, 3)
                                          for cpu, sec in state["cpu_seconds_by_cpu"].items()}
    provenance["total_steps"], provenance["total_cpu_hours"] = provenance["steps"], provenance["cpu_hours"]
    if parent is not None:
        up = json.loads(Path(parent).read_text())
        provenance["parent"] = {"export": Path(parent).stem, "sha256": up["sha256"]}
        provenance["total_steps"] += up.get("total_steps", up["steps"])
        provenance["total_cpu_hours"] = round(provenance["total_cpu_hours"]
                                              + up.get("total_cpu_hours", up["cpu_hours"]), 3)
    data = export_bytes(model, provenance)
    out = Path(out)
    out.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    sidecar = {"sha256": sha, "bytes": len(data), **provenance}
    out.with_suffix(".json").write_text(json.dumps(sidecar, indent=2, sort_keys=True) + "\n")
    return sha


def main(argv: list[str] | None = None) -> None:
    import argparse

    p = argparse.ArgumentParser(description="Export a training checkpoint to safetensors.")
    p.add_argument("checkpoint")
    p.add_argument("out")
    p.add_argument("--parent", type=Path, default=None,
                   help="sidecar (.json) of the export the run was initialised from")
    a = p.parse_args(argv)
    print(export_checkpoint(Path(a.checkpoint), Path(a.out), a.parent))


if __name__ == "__main__":
    main()
