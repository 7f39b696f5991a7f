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

import os
from pathlib import Path

import torch

#: The recipe fields recorded for each averaged run.
RUN_FIELDS = ("out", "init", "steps", "batch", "crop", "lr", "seed", "level_weight_power", "min_scale")


def _start(state: dict) -> str | None:
    init = state.get("train_config", {}).get("init")
    return os.path.normpath(init) if init else None


def average_states(states: list[dict]) -> dict:
    """The checkpoint whose floating-point weights are the mean of ``states``' weights.

    The runs must share the architecture and the weights they started from
    (``--init``); the integer buffers (entropy tables, rebuilt on export) come
    from the first.
    """
    if len(states) < 2:
        raise ValueError("averaging needs at least two checkpoints")
    first = states[0]
    for s in states:
        if "averaged" in s.get("train_config", {}):
            raise ValueError("a checkpoint is itself an average: average the runs it was made of")
        if _start(s) is None:
            raise ValueError("a run was trained from scratch: only runs started from the same "
                             "weights (--init) end near enough to each other to average")
    for s in states[1:]:
        if s["model_config"] != first["model_config"]:
            raise ValueError(f"the checkpoints' architectures differ: {first['model_config']} "
                             f"vs {s['model_config']}")
        if _start(s) != _start(first):
            raise ValueError(f"the runs started from different weights ({_start(first)} and "
                             f"{_start(s)}): their average is not a model of either")
        if s["model"].keys() != first["model"].keys():
            odd = sorted(s["model"].keys() ^ first["model"].keys())
            raise ValueError(f"the checkpoints hold different tensors, e.g. {odd[0]}")
    model = {}
    for name, value in first["model"].items():
        if value.is_floating_point():
            model[name] = torch.stack([s["model"][name].double() for s in states]).mean(0).to(value.dtype)
        else:
            model[name] = value.clone()
    by_cpu: dict[str, float] = {}
    for s in states:
        for cpu, sec in (s.get("cpu_seconds_by_cpu") or {"unknown": s["cpu_seconds"]}).items():
            by_cpu[cpu] = by_cpu.get(cpu, 0.0) + sec
    steps = sum(s["step"] for s in states)
    runs = [{k: s.get("train_config", {}).get(k) for k in RUN_FIELDS} for s in states]
    for run, s in zip(runs, states):
        run["steps"] = s["step"]  # what the checkpoint holds, not what its run was asked for
    return {"model": model, "step": steps, "cpu_seconds": sum(s["cpu_seconds"] for s in states),
            "cpu_seconds_by_cpu": by_cpu, "model_config": first["model_config"],
            "train_config": {**first.get("train_config", {}), "steps": steps, "averaged": runs}}


def average_checkpoints(paths: list[Path], out: Path) -> None:
    """Write the :func:`average_states` of the checkpoints at ``paths`` to ``out``."""
    states = []
    for path in paths:
        try:
            state = torch.load(path, map_location="cpu", weights_only=False)
        except Exception as exc:  # not a torch file at all (e.g. a .safetensors export)
            raise ValueError(f"{path} is not a training checkpoint (.pt): {exc}") from None
        if not isinstance(state, dict) or not {"model", "model_config", "step"} <= state.keys():
            raise ValueError(f"{path} is not a training checkpoint (.pt) of aecodec train")
        states.append(state)
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
