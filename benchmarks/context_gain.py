"""What the checkerboard context model saves, with everything else equal.

    python -m benchmarks.context_gain [--data DIR] [--limit N]

The default model's weights code each Kodak image's analysis ``y`` twice:
with the context (the shipped path: anchors, then non-anchors with corrected
parameters) and without it (every element with the hyperprior's parameters
alone, as a plain mean-scale model would). Same transforms, same ``y``; rate is
stream bytes, distortion PSNR-RGB of the decoded 8-bit image. Writes the
BD-rate of "with" against "without" to ``benchmarks/results/context_gain.json``.
This isolates the architecture from the extra training that model 5 also had
(model 5 against model 4 is in the Kodak RD report).
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

from .exact_cost import exact_path, measure
from .paths import RESULTS, kodak_dir


def without_context(model):
    """The same weights coding every element with the hyperprior's parameters."""
    plain = copy.copy(model)
    plain.context_layers = plain.fuse_layers = None
    return plain


def run(data: Path, limit: int | None = None) -> dict:
    from aecodec.models.loader import load_model
    from aecodec.models.registry import DEFAULT_MODEL_ID

    model = load_model(DEFAULT_MODEL_ID)
    if not model.has_context:
        raise SystemExit(f"model {DEFAULT_MODEL_ID} has no context model to measure")
    plain = without_context(model)
    return measure(model, data, limit, {"with context": exact_path,
                                        "without context": lambda _, y: exact_path(plain, y)},
                   "with context", "without context", "python -m benchmarks.context_gain",
                   "bd_rate_with_vs_without_percent")


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


if __name__ == "__main__":
    main()
