"""Averaging the weights of sibling runs ("model soup").

Runs that start from the same export and fine-tune it at a small learning rate
end near each other; the mean of their weights often codes better than either
(Wortsman et al., 2022, *Model soups*). This module writes that mean as a
checkpoint that :mod:`aecodec.training.export` and
:mod:`aecodec.training.validate` read like any other::

    python -m aecodec.training.average runs/soup/checkpoint.pt \\
        runs/a/checkpoint.pt runs/b/checkpoint.pt
    python -m aecodec.training.export runs/soup/checkpoint.pt runs/soup/aec.safetensors \\
        --parent codec/weights/aec_m27.json

Every CPU-hour spent on the runs went into the average, so its steps and
CPU-hours are the runs' sums, and its ``train_config`` lists each run's recipe
under ``averaged``. The average has no optimizer state: it is exported or
validated, not resumed (``aecodec train --init`` it to train on).
"""

from __future__ import annotations

from pathlib import Path

import torch

#: The recipe fields recorded for each averaged run.
RUN_FIELDS = ("out", "init", "steps", "batch", "crop", "lr", "seed", "level_weight_power", "min_scale")


def average_states(states: list[dict]) -> dict:
    """The checkpoint whose floating-point weights are the mean of ``states``' weights.

    The runs must share the architecture and the export they started from; the
    integer buffers (entropy tables, rebuilt on export) come from the first.
    """
    if len(states) < 2:
        raise ValueError("averaging needs at least two checkpoints")
    first = states[0]
    for s in states[1:]:
        if s["model_config"] != first["model_config"]:
            raise ValueError(f"the checkpoints' architectures differ: {first['model_config']} "
                             f"vs {s['model_config']}")
        if s.get("train_config", {}).get("init") != first.get("train_config", {}).get("init"):
            raise ValueError("the runs started from different weights (--init): their average "
                             "is not a model of either")
        if s["model"].keys() != first["model"].keys():
            raise ValueError("the checkpoints hold different tensors")
    model = {}
    for name, value in first["model"].items():
        if value.is_floating_point():
            model[name] = torch.stack([s["model"][name].double() for s in states]).mean(0).to(value.dtype)
        else:
            model[name] = value.clone()
    by_cpu: dict[str, float] = {}
    for s in states:
        for cpu, sec in s.get("cpu_seconds_by_cpu", {}).items():
            by_cpu[cpu] = by_cpu.get(cpu, 0.0) + sec
    steps = sum(s["step"] for s in states)
    train_config = {**first.get("train_config", {}), "steps": steps,
                    "averaged": [{k: s.get("train_config", {}).get(k) for k in RUN_FIELDS}
                                 for s in states]}
    out = {"model": model, "step": steps, "cpu_seconds": sum(s["cpu_seconds"] for s in states),
           "train_config": train_config, "model_config": first["model_config"]}
    if by_cpu:
        out["cpu_seconds_by_cpu"] = by_cpu
    return out


def average_checkpoints(paths: list[Path], out: Path) -> None:
    """Write the :func:`average_states` of the checkpoints at ``paths`` to ``out``."""
    states = [torch.load(p, map_location="cpu", weights_only=False) for p in paths]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(average_states(states), out)


def main(argv: list[str] | None = None) -> None:
    import argparse

    p = argparse.ArgumentParser(description="Average the weights of runs that started from the same export.")
    p.add_argument("out", type=Path, help="the averaged checkpoint to write (.pt)")
    p.add_argument("checkpoints", nargs="+", type=Path, help="the runs' checkpoints (.pt)")
    a = p.parse_args(argv)
    try:
        average_checkpoints(a.checkpoints, a.out)
    except ValueError as e:
        raise SystemExit(f"error: {e}") from None
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
