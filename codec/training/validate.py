"""A fixed yardstick for comparing training runs while they run.

The running averages in ``log.jsonl`` are over random crops: two runs' curves
differ by more than their models do. This module codes the *same* crops at
every rate level, with rounded (not noisy) latents, so checkpoints of any run
can be compared mid-run without a Kodak benchmark, with each other and with the
export a run started from::

    python -m aecodec.training.validate codec/weights/aec_m14.safetensors \\
        runs/a/checkpoint.pt runs/b/checkpoint.pt --data ../shared/data/train

The crops are the centres of evenly spaced *training* images: the held-out
tenth and Kodak stay untouched (they measure exports, not runs). Rates are the
likelihoods' estimate (no entropy coder), distortion PSNR on the crop; the
loss is the training loss (level-weighted) on these crops.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
from .data import centre_crop, spread_training_names


def fixed_crops(root: Path, count: int, crop: int) -> torch.Tensor:
    """``[count, 3, crop, crop]`` centre crops of ``count`` evenly spaced training images."""
    crops = [centre_crop(Path(root) / name, crop) for name in spread_training_names(root, count)]
    return torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float().div_(255.0)


@torch.no_grad()
def evaluate(model, crops: torch.Tensor, level_weights: torch.Tensor, autocast: bool = True,
             chunk: int = 4) -> dict:
    """Per level ``bpp<l>`` and ``psnr<l>`` over ``crops``, and the weighted ``loss``."""
    was_training = model.training
    model.eval()
    lambdas = model.config.lambdas
    record, losses = {}, []
    try:
        for level in range(model.config.levels):
            bits = sq_err = 0.0
            for part in crops.split(chunk):
                part = part.contiguous(memory_format=torch.channels_last)
                out = model(part, torch.full((part.shape[0],), float(level)), autocast=autocast)
                bits += float(-torch.log2(out.y_likelihoods).sum() - torch.log2(out.z_likelihoods).sum())
                sq_err += float((out.x_hat.clamp(0, 1) - part).pow(2).sum())
            bpp = bits / (crops.shape[0] * crops.shape[2] * crops.shape[3])
            mse = sq_err / crops.numel()
            record[f"bpp{level}"] = round(bpp, 4)
            record[f"psnr{level}"] = round(10 * math.log10(1 / max(mse, 1e-10)), 3)
            losses.append(float(level_weights[level]) * (lambdas[level] * 255.0**2 * mse + bpp))
    finally:
        model.train(was_training)
    record["loss"] = round(sum(losses) / len(losses), 5)
    return record


def evaluate_checkpoint(path: Path, crops: torch.Tensor, autocast: bool = True) -> dict:
    """:func:`evaluate` a training checkpoint with its own architecture and level weights,
    or an export (``.safetensors``, e.g. the weights a run started from) with the
    level weights its sidecar names (``step``: its total steps); the transforms
    under bf16 autocast if ``autocast`` (as a run's own ``val.jsonl`` with it), else fp32."""
    from ..models.hyperprior import ModelConfig, VariableRateHyperprior
    from .train import config_of_weights, init_from_export, level_weights

    if Path(path).suffix == ".safetensors":
        model = VariableRateHyperprior(config_of_weights(str(path)))
        init_from_export(model, str(path))
        sidecar = Path(path).with_suffix(".json")
        meta = json.loads(sidecar.read_text()) if sidecar.exists() else {}
        power = meta.get("train_config", {}).get("level_weight_power", 0.0)
        weights = level_weights(torch.tensor(model.config.lambdas), power)
        return {"step": meta.get("total_steps"), **evaluate(model, crops, weights, autocast)}
    state = torch.load(path, map_location="cpu", weights_only=False)
    config = ModelConfig(**{k: tuple(v) if isinstance(v, list) else v
                            for k, v in state["model_config"].items()})
    model = VariableRateHyperprior(config)
    model.load_state_dict(state["model"])
    power = state.get("train_config", {}).get("level_weight_power", 0.0)
    weights = level_weights(torch.tensor(config.lambdas), power)
    return {"step": state["step"], **evaluate(model, crops, weights, autocast)}


def main(argv: list[str] | None = None) -> None:
    import argparse

    from .train import AUTOCAST_CHOICES, resolve_autocast

    p = argparse.ArgumentParser(description="Compare training checkpoints on fixed crops.")
    p.add_argument("checkpoints", nargs="+", type=Path, help="checkpoints (.pt) or exports (.safetensors)")
    p.add_argument("--data", required=True, type=Path, help="the training folder")
    p.add_argument("--count", type=int, default=16, help="crops (one per image)")
    p.add_argument("--crop", type=int, default=256)
    p.add_argument("--autocast", choices=AUTOCAST_CHOICES, default="auto",
                   help="bf16 autocast for the transforms, as `aecodec train --autocast` (auto: "
                        "where the CPU computes bfloat16 natively; elsewhere fp32, which on an "
                        "AVX2-only CPU runs several times as fast as emulated bf16). Compare "
                        "checkpoints measured with the same setting")
    a = p.parse_args(argv)
    autocast = resolve_autocast(a.autocast)
    print(f"transforms in {'bf16 autocast' if autocast else 'fp32'}", flush=True)
    crops = fixed_crops(a.data, a.count, a.crop)
    for path in a.checkpoints:
        r = evaluate_checkpoint(path, crops, autocast)
        levels = sorted(int(k[3:]) for k in r if k.startswith("bpp"))
        cells = "  ".join(f"{r[f'bpp{lv}']:.4f}/{r[f'psnr{lv}']:.3f}" for lv in levels)
        print(f"{path}  step {r['step']}  loss {r['loss']:.5f}  bpp/PSNR by level: {cells}", flush=True)


if __name__ == "__main__":
    main()
