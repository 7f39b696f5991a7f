"""What the context model saves, with everything else equal.

    python -m benchmarks.context_gain [--data DIR] [--limit N]

The default model's weights code each Kodak image's analysis ``y`` with the
context (the shipped path: anchors, then non-anchors with corrected
parameters, channel group by group if the model has groups), without the
channel groups (checkerboard alone), and without any context (every element
with the hyperprior's parameters, as a plain mean-scale model would). Same
transforms, same ``y``; rate is stream bytes, distortion PSNR-RGB of the
decoded 8-bit image. Writes the BD-rate of "with" against "without" (and, for
models with channel groups, against the checkerboard alone) to
``benchmarks/results/context_gain.json``. This isolates the architecture from
the extra training each new model also had (models against each other are in
the Kodak RD report).
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

from .exact_cost import bd_between, exact_path, measure
from .paths import RESULTS, kodak_dir


def without_context(model):
    """The same weights coding every element with the hyperprior's parameters."""
    plain = copy.copy(model)
    plain.context_layers = plain.fuse_layers = None
    plain.channel_layers = []
    return plain


def without_channel_groups(model):
    """The same weights with the checkerboard context alone (one channel group)."""
    checker = copy.copy(model)
    checker.channel_layers = []
    return checker


def run(data: Path, limit: int | None = None) -> dict:
    from aecodec.models.loader import load_model
    from aecodec.models.registry import DEFAULT_MODEL_ID

    model = load_model(DEFAULT_MODEL_ID)
    if not model.has_context:
        raise SystemExit(f"model {DEFAULT_MODEL_ID} has no context model to measure")
    plain = without_context(model)
    paths = {"with context": exact_path, "without context": lambda _, y: exact_path(plain, y)}
    if model.channel_layers:
        checker = without_channel_groups(model)
        paths["checkerboard only"] = lambda _, y: exact_path(checker, y)
    res = measure(model, data, limit, paths, "with context", "without context",
                  "python -m benchmarks.context_gain", "bd_rate_with_vs_without_percent")
    if model.channel_layers:
        bd = bd_between(res["curves"], "with context", "checkerboard only")
        res["channel_groups"] = len(model.channel_layers) + 1
        res["bd_rate_with_vs_checkerboard_only_percent"] = round(bd.percent, 3)
    return res


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="BD-rate of the context model, weights held equal.")
    p.add_argument("--data", default=None)
    p.add_argument("--limit", type=int, default=None)
    a = p.parse_args(argv)
    res = run(Path(a.data) if a.data else kodak_dir(), a.limit)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "context_gain.json").write_text(json.dumps(res, indent=1) + "\n")
    print(f"BD-rate with vs without the context: {res['bd_rate_with_vs_without_percent']:+.2f} % "
          f"over {res['psnr_range'][0]:.2f}–{res['psnr_range'][1]:.2f} dB")
    if "channel_groups" in res:
        print(f"BD-rate with vs the checkerboard alone ({res['channel_groups']} channel groups): "
              f"{res['bd_rate_with_vs_checkerboard_only_percent']:+.2f} %")


if __name__ == "__main__":
    main()
