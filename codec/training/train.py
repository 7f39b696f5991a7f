"""Training loop for :class:`~aecodec.models.hyperprior.VariableRateHyperprior`.

Recipe (DESIGN §6): random crops with antialiased downscale, λ drawn per sample
from the model's rate levels, loss ``λ·255²·MSE + bpp``, Adam with warm-up and a
cosine decay over the last fifth of the run, gradient clipping, bf16 autocast
(where the CPU computes bfloat16 natively: :func:`resolve_autocast`) and
channels_last for the transforms (likelihoods and losses stay fp32).

The loop is resumable at any moment: a checkpoint (model, optimizers, step,
RNG states, CPU-seconds) is written atomically every ``checkpoint_minutes``
and at the end; a run killed at any point loses at most that much work.
SIGSTOP/SIGCONT pause and resume it.

Past one machine: under ``torchrun`` the loop uses DistributedDataParallel
(gloo on CPU, NCCL on GPUs). Every rank draws the same global batch and trains
on its own slice, so N processes compute the gradient of the same batch one
process would (``--batch`` is the global batch).
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
import torch.distributed as dist

from ..models.context import CHECKERBOARD, NO_CONTEXT
from ..models.hyperprior import ModelConfig, VariableRateHyperprior
from .data import CropSampler, list_images, split
from .grow import check_blocks, grow_latents
from .machine import cpu_name
from .prior import fit_prior_to_tables
from .validate import evaluate, fixed_crops


@dataclass
class TrainConfig:
    data: str
    out: str
    steps: int = 20000
    batch: int = 8  # global batch (split across ranks)
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
    device: str = "cpu"
    init: str | None = None  # checkpoint (.pt) or exported weights (.safetensors) to start from
    noise_sigma: float = 0.0  # de-noising: inputs get Gaussian noise, σ ~ U(0, noise_sigma) on 0–255
    level_weight_power: float = 0.0  # level l's loss is weighted ∝ λ_l^-p (0: alike; < 0: high rates more)
    val_crops: int = 0  # fixed crops coded at every checkpoint into val.jsonl (0: none; validate.py)
    min_scale: float = 0.5  # crops are downscaled by a factor drawn from U(min_scale, 1)


#: ``aecodec train --autocast`` choices (``auto``: :func:`resolve_autocast` decides).
AUTOCAST_CHOICES = ("auto", "on", "off")


def resolve_autocast(choice: str, device: str = "cpu") -> bool:
    """Whether a run with ``--autocast choice`` trains the transforms under bf16 autocast.

    ``on`` and ``off`` say so; ``auto`` asks the test the codec's own transforms
    use (:func:`~aecodec.models.codec_model.transform_precision`, which also
    reads ``AECODEC_TRANSFORMS``): bf16 where ``device`` computes it natively
    (a CPU with AVX512-BF16 or AMX), fp32 elsewhere. On a CPU without them
    bf16 is emulated: a step of the shipped architecture took 8.5× as long as
    in fp32 on an AVX2 EPYC (``python -m benchmarks.train_step --autocast on off``).

    >>> resolve_autocast("off")
    False
    """
    if choice not in AUTOCAST_CHOICES:
        raise ValueError(f"--autocast must be one of {', '.join(AUTOCAST_CHOICES)}, got {choice!r}")
    if choice != "auto":
        return choice == "on"
    from ..models.codec_model import transform_precision

    return transform_precision(device) == "bf16"


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


def add_noise(x: torch.Tensor, max_sigma: float, generator: torch.Generator) -> torch.Tensor:
    """``x`` plus Gaussian noise of a per-sample σ drawn from U(0, max_sigma) (0–255 scale),
    clipped and rounded to 8 bits like a real noisy photo."""
    sigma = torch.rand(x.shape[0], 1, 1, 1, generator=generator) * (max_sigma / 255.0)
    noise = torch.randn(x.shape, generator=generator) * sigma
    return (x + noise.to(x.device)).clamp_(0, 1).mul_(255).round_().div_(255)


def level_weights(lambdas: torch.Tensor, power: float) -> torch.Tensor:
    """Loss weight of each rate level, ``∝ λ_l^-power`` with mean 1 over the levels.

    The shared transforms serve every level, and a high level's loss is several
    times a low level's (more bits, and λ scales the distortion), so with equal
    weights the gradient favours high rates. ``power > 0`` shifts it back to the
    low rates; ``power = 0`` weighs every level alike; ``power < 0`` favours the
    high rates further (where the gap to AVIF is widest; README, *Results*).
    """
    w = lambdas.double().pow(-power)
    return (w / w.mean()).to(lambdas.dtype)


def rd_loss(model, x: torch.Tensor, levels: torch.Tensor, lambdas: torch.Tensor, autocast: bool,
            target: torch.Tensor | None = None, weights: torch.Tensor | None = None):
    """Per-sample ``λ·255²·MSE + bpp`` averaged over the batch; plus aux loss and stats.

    The distortion is measured against ``target`` (default: ``x`` itself; the
    clean image when ``x`` is a noisy copy). ``weights`` (one per level, see
    :func:`level_weights`) scale each sample's loss by its level's weight.
    """
    target = x if target is None else target
    out = model(x, levels.float(), autocast=autocast)
    num_pixels = x.shape[2] * x.shape[3]
    bits_y = -torch.log2(out.y_likelihoods).flatten(1).sum(1)
    bits_z = -torch.log2(out.z_likelihoods).flatten(1).sum(1)
    bpp = (bits_y + bits_z) / num_pixels
    mse = (out.x_hat - target).pow(2).flatten(1).mean(1)
    per_sample = lambdas[levels] * 255.0**2 * mse + bpp
    loss = (per_sample if weights is None else weights[levels] * per_sample).mean()
    return loss, out.aux_loss, bpp.detach(), mse.detach()


def _lock_run(out: Path):
    """Hold ``out/lock`` for the life of the process: a second trainer started on the
    same run folder would interleave its checkpoints and log with the first's."""
    import fcntl

    handle = open(out / "lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise RuntimeError(f"another training process is using {out}; stop it (or wait for it) "
                           "before resuming this run") from None
    return handle


def _save_atomic(obj: object, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def init_from_export(model: VariableRateHyperprior, path: str) -> None:
    """Start from shipped safetensors weights: transforms and gains are restored
    (h_s from its integers), and the factorized prior from its ``prior.*``
    parameters; for files exported before those were shipped (models 2–14) the
    prior is fitted to the shipped z tables (:mod:`.prior`)."""
    from safetensors.torch import load_file

    from .export import PRIOR_PREFIX

    t = load_file(path)
    config = _export_config(path)
    try:
        check_blocks(config.get("residual_blocks", 0), config.get("analysis_blocks", 0), model.config)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    state = {k: v.float() for k, v in t.items() if k.split(".")[0] in ("g_a", "g_s", "h_a")}
    state["log_gain"], state["log_inverse_gain"] = t["log_gain"], t["log_inverse_gain"]
    integer = {"h_s": model.h_s}
    if model.context is not None and "cx" in config:  # else the context starts afresh
        integer.update(cx=[model.context.context], cf=model.context.fuse)
    if model.channel_context is not None and config.get("channel_groups") == model.config.channel_groups:
        integer.update({f"cc{g}": net for g, net in enumerate(model.channel_context.nets, start=1)})
    elif "cx" in config:
        print(f"{path} has a context model; this plain model leaves it out", flush=True)
    with torch.no_grad():
        for prefix, mods in integer.items():
            convs = [m for m in mods if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
            if len(convs) != len(config[prefix]):
                raise ValueError(f"{path}: {prefix} has {len(config[prefix])} layers, the model "
                                 f"{len(convs)}; use --transform-channels/--latent-channels/--context "
                                 "of the run that made it")
            for i, (mod, spec) in enumerate(zip(convs, config[prefix])):
                mod.weight.copy_(t[f"{prefix}.{i}.weight"].double() * 2.0 ** -spec["shift"])
                mod.bias.copy_(t[f"{prefix}.{i}.bias"].double() * 2.0 ** -(spec["shift"] + 8))
    model.load_state_dict(state, strict=False)
    prior = {k[len(PRIOR_PREFIX):]: v for k, v in t.items() if k.startswith(PRIOR_PREFIX)}
    if prior:
        model.entropy_bottleneck.load_state_dict(prior, strict=False)
        missing = {n for n, _ in model.entropy_bottleneck.named_parameters()} - prior.keys()
        if missing:
            raise ValueError(f"{path}: the factorized prior lacks {sorted(missing)[:3]}; "
                             "use --transform-channels of the run that made it")
    else:
        kl = fit_prior_to_tables(model.entropy_bottleneck, t["z.cdf"], t["z.cdf_length"],
                                 t["z.offset"], t["z.medians_fixed"], config["act_bits"])
        print(f"{path} ships no prior parameters: fitted the prior to its z tables "
              f"({kl:.5f} bits per symbol from them)", flush=True)


def _export_config(path: str) -> dict:
    """The ``config`` an export wrote in its safetensors metadata."""
    from safetensors import safe_open

    with safe_open(path, "pt") as f:
        return json.loads(f.metadata()["config"])


def config_of_weights(path: str) -> ModelConfig | None:
    """The architecture a checkpoint or shipped ``.safetensors`` file was trained with
    (None for checkpoints too old to record it)."""
    if path.endswith(".safetensors"):
        c = _export_config(path)
        return ModelConfig(n=c["n"], m=c["m"], lambdas=tuple(c["lambdas"]),
                           context=c.get("context", NO_CONTEXT),
                           channel_groups=c.get("channel_groups", 1),
                           residual_blocks=c.get("residual_blocks", 0),
                           analysis_blocks=c.get("analysis_blocks", 0))
    saved = torch.load(path, map_location="cpu", weights_only=False).get("model_config")
    return None if saved is None else _saved_config(saved)


def _saved_config(saved: dict) -> ModelConfig:
    """A checkpoint's ``model_config`` (``asdict`` of a :class:`ModelConfig`)."""
    return ModelConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in saved.items()})


def _load_initial(model: VariableRateHyperprior, path: str) -> None:
    source = config_of_weights(path)
    if source is not None and source.m != model.config.m:  # --latent-channels grows M
        smaller = VariableRateHyperprior(source)
        _load_weights(smaller, path)
        grow_latents(smaller, model)
        print(f"grew the latents from {source.m} to {model.config.m} channels", flush=True)
        return
    _load_weights(model, path)


def _load_weights(model: VariableRateHyperprior, path: str) -> None:
    if path.endswith(".safetensors"):
        init_from_export(model, path)
        return
    state = torch.load(path, map_location="cpu", weights_only=False)
    _, unexpected = model.load_state_dict(state.get("model", state), strict=False)
    if any(".blocks." in k for k in unexpected):
        saved = state.get("model_config", {})
        raise ValueError(f"{path} has residual blocks this model lacks; start with "
                         f"--residual-blocks {saved.get('residual_blocks', 'K')} "
                         f"--analysis-blocks {saved.get('analysis_blocks', 0)}")


def _optimizers(model: VariableRateHyperprior, cfg: TrainConfig, groups: int = 2):
    named = dict(model.named_parameters())
    gains = ("log_gain", "log_inverse_gain")
    main = [p for n, p in named.items() if not n.endswith("quantiles") and n not in gains]
    if groups == 1:  # checkpoints written before the gains had their own group
        opt = torch.optim.Adam([{"params": [p for n, p in named.items() if not n.endswith("quantiles")],
                                 "lr_mult": 1.0}], lr=cfg.lr)
    else:
        opt = torch.optim.Adam([{"params": main, "lr_mult": 1.0},
                                {"params": [named[n] for n in gains], "lr_mult": cfg.gain_lr_mult}],
                               lr=cfg.lr)
    aux = torch.optim.Adam([p for n, p in named.items() if n.endswith("quantiles")], lr=cfg.aux_lr)
    return opt, aux


def train(cfg: TrainConfig, model_config: ModelConfig = ModelConfig()) -> Path:
    """Run (or resume) training; returns the checkpoint path."""
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed and not dist.is_initialized():
        dist.init_process_group("nccl" if cfg.device == "cuda" else "gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    if cfg.batch % world:
        raise ValueError(f"--batch {cfg.batch} is not divisible by {world} processes")
    device = torch.device(cfg.device if cfg.device != "cuda" else f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda asked for, but no CUDA device is available")
    torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "checkpoint.pt"
    log_path = out / "log.jsonl"
    if rank == 0:
        lock = _lock_run(out)  # noqa: F841 (held until the process ends)

    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    names, _ = split(list_images(Path(cfg.data)))
    sampler = CropSampler(Path(cfg.data), names, cfg.crop, seed=cfg.seed, min_scale=cfg.min_scale)
    level_rng = torch.Generator().manual_seed(cfg.seed + 1)  # same draws on every rank
    noise_rng = torch.Generator().manual_seed(cfg.seed + 2)
    state = torch.load(ckpt_path, map_location="cpu", weights_only=False) if ckpt_path.exists() else None
    if state and "opt" not in state:
        what = ("an average of runs (aecodec.training.average)"
                if "averaged" in state.get("train_config", {}) else "no optimizer state")
        raise ValueError(f"{ckpt_path} cannot be resumed ({what}): train on it in a new run "
                         f"folder with --init {ckpt_path}")
    if state and "model_config" in state:  # a resumed run keeps its architecture
        saved = _saved_config(state["model_config"])
        if saved != model_config and rank == 0:
            print(f"resuming {ckpt_path} with its own architecture {saved} "
                  f"(the command line asked for {model_config})", flush=True)
        model_config = saved
    model = VariableRateHyperprior(model_config)
    opt, aux_opt = _optimizers(model, cfg, len(state["opt"]["param_groups"]) if state else 2)
    step, cpu_seconds = 0, 0.0
    # CPU-seconds by the CPU they ran on, before this process started (a run may be resumed elsewhere)
    earlier_by_cpu: dict[str, float] = {}
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        for group in opt.param_groups:  # older checkpoints have no per-group multiplier
            group.setdefault("lr_mult", 1.0)
        aux_opt.load_state_dict(state["aux_opt"])
        step, cpu_seconds = state["step"], state["cpu_seconds"]
        earlier_by_cpu = dict(state.get("cpu_seconds_by_cpu") or {"unknown": cpu_seconds})
        torch.set_rng_state(state["torch_rng"])
        sampler.set_state(state["sampler_rng"])
        if "level_rng" in state:
            level_rng.set_state(state["level_rng"])
        if "noise_rng" in state:
            noise_rng.set_state(state["noise_rng"])
        if rank == 0:
            print(f"resumed from {ckpt_path} at step {step}", flush=True)
    elif cfg.init:
        _load_initial(model, cfg.init)
        if rank == 0:
            print(f"initialised from {cfg.init}", flush=True)
    else:
        with torch.no_grad():
            model.log_gain += math.log(cfg.gain_scale)
            model.log_inverse_gain -= math.log(cfg.gain_scale)
    model = model.to(device, memory_format=torch.channels_last)
    for o in (opt, aux_opt):  # optimizer state follows the parameters' device
        for s in o.state.values():
            for k, v in s.items():
                if torch.is_tensor(v) and k != "step":
                    s[k] = v.to(device)
    net = torch.nn.parallel.DistributedDataParallel(model) if distributed else model
    lambdas = torch.tensor(model_config.lambdas, dtype=torch.float32, device=device)
    weights = level_weights(lambdas, cfg.level_weight_power)  # all ones at power 0
    main_params = [p for g in opt.param_groups for p in g["params"]]

    val_set = fixed_crops(Path(cfg.data), cfg.val_crops, cfg.crop) if cfg.val_crops and rank == 0 else None

    this_cpu, seconds_at_start = cpu_name() or "unknown", cpu_seconds

    def seconds_by_cpu() -> dict[str, float]:
        by_cpu = dict(earlier_by_cpu)
        by_cpu[this_cpu] = by_cpu.get(this_cpu, 0.0) + cpu_seconds - seconds_at_start
        return by_cpu

    def checkpoint() -> None:
        if rank == 0 and val_set is not None:
            record = evaluate(model, val_set.to(device), weights, cfg.autocast)
            with open(out / "val.jsonl", "a") as f:
                f.write(json.dumps({"step": step, "cpu_hours": round(cpu_seconds / 3600, 4),
                                    **record}) + "\n")
        if rank == 0:
            _save_atomic({
                "model": {k: v.cpu() for k, v in model.state_dict().items()}, "opt": opt.state_dict(),
                "aux_opt": aux_opt.state_dict(), "step": step, "cpu_seconds": cpu_seconds,
                "cpu_seconds_by_cpu": seconds_by_cpu(),
                "torch_rng": torch.get_rng_state(), "sampler_rng": sampler.state(),
                "level_rng": level_rng.get_state(), "noise_rng": noise_rng.get_state(),
                "train_config": asdict(cfg), "model_config": asdict(model_config),
            }, ckpt_path)

    model.train()
    last_ckpt = time.monotonic()
    window: list[tuple[int, float, float]] = []
    t_cpu, t_wall, t_step = time.process_time(), time.monotonic(), step
    per_rank = cfg.batch // world
    while step < cfg.steps:
        for group in opt.param_groups:
            group["lr"] = learning_rate(cfg, step) * group["lr_mult"]
        x = sampler.batch(cfg.batch)  # the same global batch on every rank
        levels = torch.randint(0, model_config.levels, (cfg.batch,), generator=level_rng)
        x_in = add_noise(x, cfg.noise_sigma, noise_rng) if cfg.noise_sigma > 0 else x
        part = slice(rank * per_rank, (rank + 1) * per_rank)
        x, x_in, levels = x[part].to(device), x_in[part].to(device), levels[part].to(device)
        x_in = x_in.contiguous(memory_format=torch.channels_last)
        loss, aux, bpp, mse = rd_loss(net, x_in, levels, lambdas, cfg.autocast, target=x,
                                      weights=weights)
        opt.zero_grad(set_to_none=True)
        aux_opt.zero_grad(set_to_none=True)
        (loss + aux).backward()  # aux depends only on the quantiles, loss never on them
        torch.nn.utils.clip_grad_norm_(main_params, cfg.clip)
        opt.step()
        aux_opt.step()
        step += 1
        if distributed:
            gathered = [torch.zeros(3, per_rank) for _ in range(world)]
            dist.all_gather(gathered, torch.stack([levels.float().cpu(), bpp.cpu(), mse.cpu()]))
            stats = torch.cat(gathered, 1)
            loss_value = torch.tensor([float(loss.detach())])
            dist.all_reduce(loss_value)
            loss_value = float(loss_value) / world
        else:
            stats = torch.stack([levels.float().cpu(), bpp.cpu(), mse.cpu()])
            loss_value = float(loss.detach())
        window += [(int(lv), b, e) for lv, b, e in stats.T.tolist()]
        if rank == 0 and (step % cfg.log_every == 0 or step == cfg.steps):
            now_cpu, now_wall = time.process_time(), time.monotonic()
            cpu_seconds += now_cpu - t_cpu
            record = {"step": step, "lr": learning_rate(cfg, step - 1),
                      "steps_per_s": (step - t_step) / max(1e-9, now_wall - t_wall),
                      "cpu_hours": cpu_seconds / 3600, "loss": loss_value}
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
            t_cpu, t_wall, t_step = now_cpu, now_wall, step
        if time.monotonic() - last_ckpt > cfg.checkpoint_minutes * 60:
            checkpoint()
            last_ckpt = time.monotonic()
    checkpoint()
    if distributed:
        dist.barrier()
    return ckpt_path


def _scale(text: str) -> float:
    """An argparse type: a scale factor above 0 and at most 1."""
    import argparse

    value = float(text)
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not above 0 and at most 1")
    return value


def _fraction(text: str) -> float:
    """An argparse type: a number from 0 to 1."""
    import argparse

    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def main(argv: list[str] | None = None) -> None:
    import argparse

    p = argparse.ArgumentParser(prog="aecodec train", description="Train an aecodec model (resumable).")
    p.add_argument("--data", required=True, help="folder of training images (every 10th is held out)")
    p.add_argument("--out", default="runs/default", help="run folder: checkpoint.pt, log.jsonl")
    for field in ("steps", "batch", "crop", "warmup", "seed", "threads"):
        p.add_argument(f"--{field}", type=int, default=getattr(TrainConfig, field))
    p.add_argument("--log-every", dest="log_every", type=int, default=TrainConfig.log_every)
    p.add_argument("--val-crops", dest="val_crops", type=int, default=TrainConfig.val_crops,
                   help="code N fixed crops of training images at every checkpoint into val.jsonl, "
                        "a yardstick for comparing runs (0: off)")
    for field in ("lr", "clip", "checkpoint_minutes", "gain_scale", "gain_lr_mult", "noise_sigma",
                  "level_weight_power"):
        p.add_argument(f"--{field.replace('_', '-')}", dest=field, type=float,
                       default=getattr(TrainConfig, field))
    p.add_argument("--decay-from", dest="decay_from", type=_fraction, default=TrainConfig.decay_from,
                   metavar="F", help="cosine learning-rate decay over the steps after fraction F "
                                     "of the run (0–1)")
    p.add_argument("--min-scale", dest="min_scale", type=_scale, default=TrainConfig.min_scale,
                   metavar="S", help="downscale each crop by a factor drawn from S–1 (antialiased; "
                                     "1: the photos' own resolution)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--init", default=None, help="start from a checkpoint or shipped .safetensors")
    p.add_argument("--autocast", choices=AUTOCAST_CHOICES, default="auto",
                   help="bf16 autocast for the transforms (auto: where the device computes "
                        "bfloat16 natively, e.g. a CPU with AVX512-BF16 or AMX; elsewhere it is "
                        "emulated and slower than fp32)")
    p.add_argument("--no-autocast", dest="autocast", action="store_const", const="off",
                   help="same as --autocast off")
    p.add_argument("--transform-channels", dest="n", type=int, default=ModelConfig.n, help="N")
    p.add_argument("--latent-channels", dest="m", type=int, default=ModelConfig.m,
                   help="M; with --init from weights with fewer, grows them (aecodec.training.grow)")
    p.add_argument("--context", default=ModelConfig.context, choices=[NO_CONTEXT, CHECKERBOARD],
                   help="context model of ŷ (checkerboard: two-pass, see aecodec.models.context)")
    p.add_argument("--channel-groups", type=int, default=ModelConfig.channel_groups, metavar="G",
                   help="with --context checkerboard: code each half in G channel groups, each "
                        "conditioned on the groups before it (1: none)")
    p.add_argument("--residual-blocks", type=int, default=ModelConfig.residual_blocks, metavar="K",
                   help="K residual bottleneck blocks per stage of g_a and g_s (0: none); new "
                        "blocks start as the identity, so --init from a plain model keeps its output")
    p.add_argument("--analysis-blocks", type=int, default=ModelConfig.analysis_blocks, metavar="H",
                   help="H more residual blocks in g_a only, at its 1/2-size stage: encoder "
                        "capacity the decoder does not run (new blocks start as the identity)")
    a = vars(p.parse_args(argv))
    choice, a["autocast"] = a["autocast"], resolve_autocast(a["autocast"], a["device"])
    if os.environ.get("RANK", "0") == "0":
        why = ("" if choice != "auto" else " (auto: native bfloat16)" if a["autocast"]
               else " (auto: this device has no native bfloat16; --autocast on forces it)")
        print(f"transforms train in {'bf16 autocast' if a['autocast'] else 'fp32'}{why}", flush=True)
    model_config = ModelConfig(n=a.pop("n"), m=a.pop("m"), context=a.pop("context"),
                               channel_groups=a.pop("channel_groups"),
                               residual_blocks=a.pop("residual_blocks"),
                               analysis_blocks=a.pop("analysis_blocks"))
    train(TrainConfig(**a), model_config)


if __name__ == "__main__":
    main()
