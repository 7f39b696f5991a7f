"""Training loop for :class:`~aecodec.models.hyperprior.VariableRateHyperprior`.

Recipe (DESIGN §6): random crops with antialiased downscale, λ drawn per sample
from the model's rate levels, loss ``λ·255²·MSE + bpp``, Adam with warm-up and a
decay over the last fifth of the run, gradient clipping, bf16 autocast and
channels_last for the transforms (likelihoods and losses stay fp32).

The loop is resumable at any moment: a checkpoint (model, optimizers, step,
RNG states, CPU-seconds) is written atomically every ``checkpoint_minutes``
and at the end; a run killed at any point loses at most that much work.
SIGSTOP/SIGCONT pause and resume it (nothing in the loop is time-driven except
when checkpoints are written).
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ..models.hyperprior import ModelConfig, VariableRateHyperprior
from .data import CropSampler, list_images, split


@dataclass
class TrainConfig:
    data: str
    out: str
    steps: int = 20000
    batch: int = 8
    crop: int = 128
    lr: float = 5e-4
    aux_lr: float = 1e-3
    warmup: int = 500
    decay_from: float = 0.8
    clip: float = 1.0
    seed: int = 0
    threads: int = 2
    checkpoint_minutes: float = 5.0
    log_every: int = 100
    autocast: bool = True
    gain_scale: float = 1.0  # initial gain multiplier (finer quantization at the start)
    gain_lr_mult: float = 1.0  # learning-rate multiplier of the gain vectors
    init: str | None = None  # checkpoint or exported weights to start from


def learning_rate(cfg: TrainConfig, step: int) -> float:
    """Linear warm-up, constant, then cosine decay to lr/20 over the last part."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    start = int(cfg.decay_from * cfg.steps)
    if step < start:
        return cfg.lr
    t = min(1.0, (step - start) / max(1, cfg.steps - start))
    low = cfg.lr / 20
    return low + 0.5 * (cfg.lr - low) * (1 + math.cos(math.pi * t))


def rd_loss(model: VariableRateHyperprior, x: torch.Tensor, levels: torch.Tensor, autocast: bool):
    """Per-sample ``λ·255²·MSE + bpp`` averaged over the batch, plus stats."""
    out = model(x, levels.float(), autocast=autocast)
    num_pixels = x.shape[2] * x.shape[3]
    bits_y = -torch.log2(out.y_likelihoods).flatten(1).sum(1)
    bits_z = -torch.log2(out.z_likelihoods).flatten(1).sum(1)
    bpp = (bits_y + bits_z) / num_pixels
    mse = (out.x_hat - x).pow(2).flatten(1).mean(1)
    lambdas = torch.tensor(model.config.lambdas, dtype=torch.float32)[levels]
    loss = (lambdas * 255.0**2 * mse + bpp).mean()
    return loss, bpp.detach(), mse.detach()


def _save_atomic(obj: object, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _load_initial(model: VariableRateHyperprior, path: str) -> None:
    state = torch.load(path, map_location="cpu", weights_only=False)
    state = state.get("model", state)
    model.load_state_dict(state, strict=False)


def train(cfg: TrainConfig, model_config: ModelConfig = ModelConfig()) -> Path:
    """Run (or resume) training; returns the checkpoint path."""
    torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "checkpoint.pt"
    log_path = out / "log.jsonl"

    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    names, _ = split(list_images(Path(cfg.data)))
    sampler = CropSampler(Path(cfg.data), names, cfg.crop, seed=cfg.seed)
    model = VariableRateHyperprior(model_config).to(memory_format=torch.channels_last)
    named = dict(model.named_parameters())
    gain_names = ("log_gain", "log_inverse_gain")
    main_params = [p for n, p in named.items() if not n.endswith("quantiles")]
    aux_params = [p for n, p in named.items() if n.endswith("quantiles")]
    opt = torch.optim.Adam([
        {"params": [p for n, p in named.items() if not n.endswith("quantiles") and n not in gain_names],
         "lr_mult": 1.0},
        {"params": [named[n] for n in gain_names], "lr_mult": cfg.gain_lr_mult},
    ], lr=cfg.lr)
    aux_opt = torch.optim.Adam(aux_params, lr=cfg.aux_lr)
    step, cpu_seconds = 0, 0.0
    if ckpt_path.exists():
        state = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        aux_opt.load_state_dict(state["aux_opt"])
        step, cpu_seconds = state["step"], state["cpu_seconds"]
        torch.set_rng_state(state["torch_rng"])
        sampler.set_state(state["sampler_rng"])
        print(f"resumed from {ckpt_path} at step {step}", flush=True)
    elif cfg.init:
        _load_initial(model, cfg.init)
        print(f"initialised from {cfg.init}", flush=True)
    else:
        with torch.no_grad():
            model.log_gain += math.log(cfg.gain_scale)
            model.log_inverse_gain -= math.log(cfg.gain_scale)

    def checkpoint() -> None:
        _save_atomic({
            "model": model.state_dict(), "opt": opt.state_dict(), "aux_opt": aux_opt.state_dict(),
            "step": step, "cpu_seconds": cpu_seconds, "torch_rng": torch.get_rng_state(),
            "sampler_rng": sampler.state(), "train_config": asdict(cfg),
            "model_config": asdict(model_config),
        }, ckpt_path)

    model.train()
    last_ckpt = time.monotonic()
    window: list[tuple[int, float, float]] = []
    t_cpu, t_wall = time.process_time(), time.monotonic()
    while step < cfg.steps:
        for group in opt.param_groups:
            group["lr"] = learning_rate(cfg, step) * group["lr_mult"]
        x = sampler.batch(cfg.batch)
        levels = torch.randint(0, model_config.levels, (cfg.batch,))
        loss, bpp, mse = rd_loss(model, x, levels, cfg.autocast)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(main_params, cfg.clip)
        opt.step()
        aux_opt.zero_grad(set_to_none=True)
        model.aux_loss().backward()
        aux_opt.step()
        step += 1
        for lv, b, e in zip(levels.tolist(), bpp.tolist(), mse.tolist()):
            window.append((lv, b, e))
        if step % cfg.log_every == 0 or step == cfg.steps:
            now_cpu, now_wall = time.process_time(), time.monotonic()
            cpu_seconds += now_cpu - t_cpu
            record = {"step": step, "lr": learning_rate(cfg, step - 1),
                      "steps_per_s": cfg.log_every / max(1e-9, now_wall - t_wall),
                      "cpu_hours": cpu_seconds / 3600, "loss": float(loss)}
            for lv in range(model_config.levels):
                sel = [(b, e) for l_, b, e in window if l_ == lv]
                if sel:
                    record[f"bpp{lv}"] = round(sum(b for b, _ in sel) / len(sel), 4)
                    mse_mean = sum(e for _, e in sel) / len(sel)
                    record[f"psnr{lv}"] = round(10 * math.log10(1 / max(mse_mean, 1e-10)), 3)
            with open(log_path, "a") as f:
                f.write(json.dumps(record) + "\n")
            print(json.dumps(record), flush=True)
            window.clear()
            t_cpu, t_wall = now_cpu, now_wall
        if time.monotonic() - last_ckpt > cfg.checkpoint_minutes * 60:
            checkpoint()
            last_ckpt = time.monotonic()
    checkpoint()
    return ckpt_path


def main(argv: list[str] | None = None) -> None:
    import argparse

    p = argparse.ArgumentParser(description="Train an aecodec model (resumable).")
    p.add_argument("--data", required=True)
    p.add_argument("--out", default="runs/default")
    for field in ("steps", "batch", "crop", "warmup", "seed", "threads"):
        p.add_argument(f"--{field}", type=int, default=getattr(TrainConfig, field))
    for field in ("lr", "clip", "checkpoint_minutes", "gain_scale", "gain_lr_mult"):
        p.add_argument(f"--{field.replace('_', '-')}", dest=field, type=float,
                       default=getattr(TrainConfig, field))
    p.add_argument("--init", default=None)
    p.add_argument("--no-autocast", dest="autocast", action="store_false")
    a = p.parse_args(argv)
    cfg = TrainConfig(**{k: v for k, v in vars(a).items()})
    train(cfg)


if __name__ == "__main__":
    main()
