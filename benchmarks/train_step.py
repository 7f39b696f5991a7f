"""What an architecture option costs per training step, on this machine.

    python -m benchmarks.train_step [--blocks 0 1 2 3] [--latent-channels 192 320]
                                    [--analysis-blocks 0] [--autocast auto] [--repeats 7]
                                    [--threads 2] [--name train_step]

Times one training step (forward, backward, Adam) of the default architecture
(checkerboard context, 4 channel groups) at the shipped recipe's batch and
crop (4 × 256², channels_last), for each number of residual
blocks per stage (``aecodec train --residual-blocks``), each number of
blocks at ``g_a``'s 1/2-size stage (``--analysis-blocks``), each number of
latent channels (``--latent-channels``) and each ``--autocast`` choice (as
``aecodec train --autocast``: ``on`` bf16, ``off`` fp32, ``auto`` what this
CPU trains in). Steps of every variant
are interleaved round by round, so drift on a shared machine hits them alike;
each variant's time is the median over the rounds, and its ratio is to the
plain model's median from the same run. Nothing else should run meanwhile
(pause a training run with ``kill -STOP``). Writes
``benchmarks/results/<name>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

import torch

from .results_io import save


def _step(model, opt, x: torch.Tensor, levels: torch.Tensor, lambdas: torch.Tensor,
          autocast: bool) -> float:
    from aecodec.training.train import rd_loss

    start = time.perf_counter()
    loss, aux, _, _ = rd_loss(model, x, levels, lambdas, autocast=autocast)
    opt.zero_grad(set_to_none=True)
    (loss + aux).backward()
    opt.step()
    return time.perf_counter() - start


def run(blocks: list[int], repeats: int, batch: int = 4, crop: int = 256, threads: int = 2,
        latent_channels: tuple[int, ...] = (192,), analysis_blocks: tuple[int, ...] = (0,),
        autocast: tuple[str, ...] = ("auto",)) -> dict:
    from aecodec.models.hyperprior import ModelConfig, VariableRateHyperprior
    from aecodec.training.machine import cpu_name
    from aecodec.training.train import resolve_autocast

    torch.set_num_threads(threads)  # as aecodec train (--threads)
    torch.manual_seed(0)
    base = ModelConfig(context="checkerboard", channel_groups=4)
    lambdas = torch.tensor(base.lambdas)
    x = torch.rand(batch, 3, crop, crop).contiguous(memory_format=torch.channels_last)
    levels = torch.arange(batch) % base.levels
    variants = {}
    for m in latent_channels:
        for k in blocks:
            for h in analysis_blocks:
                for choice in autocast:
                    bf16 = resolve_autocast(choice)
                    model = VariableRateHyperprior(dataclasses.replace(
                        base, m=m, residual_blocks=k, analysis_blocks=h))
                    variants[m, k, h, choice] = (*_variant(model, x, levels, lambdas, bf16), bf16)
    for _ in range(repeats):
        for model, opt, times, bf16 in variants.values():
            times.append(_step(model, opt, x, levels, lambdas, bf16))
    reference = statistics.median(next(iter(variants.values()))[2])
    rows = [{"latent_channels": m, "residual_blocks": k, "analysis_blocks": h,
             "autocast": choice, "bf16": bf16,
             "median_s": round(statistics.median(t), 4),
             "ratio": round(statistics.median(t) / reference, 3),
             "parameters": sum(p.numel() for p in model.parameters())}
            for (m, k, h, choice), (model, _, t, bf16) in variants.items()]
    return {"command": "python -m benchmarks.train_step", "batch": batch, "crop": crop,
            "threads": torch.get_num_threads(), "repeats": repeats, "cpu": cpu_name(),
            "isa": torch.backends.cpu.get_cpu_capability(), "rows": rows}


def _variant(model, x, levels, lambdas, autocast: bool):
    """The model in training mode, its optimiser and an empty list of step times."""
    model = model.to(memory_format=torch.channels_last).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-6)
    for _ in range(2):  # warm-up: allocator, oneDNN primitives
        _step(model, opt, x, levels, lambdas, autocast)
    return model, opt, []


def write_markdown(res: dict, path: Path) -> None:
    lines = ["# Training step time by architecture and precision", "",
             f"`{res['command']}`: one step (forward, backward, Adam) at batch {res['batch']} × "
             f"{res['crop']}² crops, {res['threads']} threads{_on_cpu(res)}, median of "
             f"{res['repeats']} interleaved rounds; ratio to the first row, measured in the same "
             f"run.", "",
             "| latent channels | residual blocks per stage | blocks at g_a's 1/2 size | "
             "--autocast | transforms in | parameters | s / step | ratio |",
             "|---:|---:|---:|---|---|---:|---:|---:|"]
    lines += [f"| {r['latent_channels']} | {r['residual_blocks']} | {r.get('analysis_blocks', 0)} | "
              f"{r.get('autocast', 'on')} | {'bf16' if r.get('bf16', True) else 'fp32'} | "
              f"{r['parameters']:,} | "
              f"{r['median_s']:.3f} | {r['ratio']:.2f}× |" for r in res["rows"]]
    path.write_text("\n".join(lines) + "\n")


def _on_cpu(res: dict) -> str:
    """`` on CPU (ISA)`` for the results that name them (older ones do not)."""
    isa = f" ({res['isa']})" if res.get("isa") else ""
    return f" on {res['cpu']}{isa}" if res.get("cpu") else ""


def main(argv: list[str] | None = None) -> None:
    from aecodec.training.train import AUTOCAST_CHOICES

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--blocks", type=int, nargs="+", default=[0, 1, 2, 3])
    p.add_argument("--latent-channels", type=int, nargs="+", default=[192, 320])
    p.add_argument("--analysis-blocks", type=int, nargs="+", default=[0])
    p.add_argument("--autocast", nargs="+", default=["auto"], choices=AUTOCAST_CHOICES,
                   help="bf16 autocast for the transforms, as aecodec train --autocast")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--name", default="train_step", help="results file stem")
    a = p.parse_args(argv)
    res = run(a.blocks, a.repeats, threads=a.threads, latent_channels=tuple(a.latent_channels),
              analysis_blocks=tuple(a.analysis_blocks), autocast=tuple(a.autocast))
    res["command"] = " ".join([res["command"], *(sys.argv[1:] if argv is None else argv)])
    save(a.name, res, write_markdown)


if __name__ == "__main__":
    main()
