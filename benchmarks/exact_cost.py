"""RD cost of the exact (integer) entropy path against a plain float one.

    python -m benchmarks.exact_cost [--data DIR] [--limit N]

For each image and quality, the same analysis ``y`` is coded twice with the
shipped tables and rANS coder:

* **exact**: the shipped path — integer hyper-synthesis, scales and means on
  the 2⁻⁸ grid, integer scale-index choice;
* **float**: the same hyper-synthesis (and context) weights run as float32 networks, with
  unrounded means and a float scale-index choice (what a plain hyperprior codec
  does; it is *not* reproducible across machines, so it is measured in one
  process only).

Rate is stream bytes (the container overhead is identical for both);
distortion is PSNR-RGB of the decoded 8-bit image. Prints and writes the
BD-rate of exact vs float to ``benchmarks/results/exact_cost.json``.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import torch

from .bdrate import bd_rate
from .metrics import psnr
from .paths import RESULTS, kodak_dir
from .rd import load_images

QUALITIES = (10, 40, 70, 95)


def _float_path(model, y: torch.Tensor) -> tuple[int, torch.Tensor]:
    from aecodec.models.fixed_point import ACT_BITS, run_float

    z = model.h_a(y)
    med = model.z_medians_fixed.double()[None, :, None, None] / 2**ACT_BITS
    z_sym = torch.floor(z.double() - med + 0.5).long()
    z_bytes = model.z_tables.encode(z_sym.numpy(), model._z_indexes(tuple(z_sym.shape[1:])))
    z_fixed = z_sym * 2**ACT_BITS + model.z_medians_fixed[None, :, None, None]
    params = run_float(model.hs_layers, z_fixed)
    scales, means = params.chunk(2, dim=1)
    scales, means = model.float_parameters(y, scales, means)  # the context walk, in float
    y_sym = torch.floor(y.double() - means.double() + 0.5).long()
    thresholds = model.scale_thresholds.double() / 2**ACT_BITS
    idx = torch.searchsorted(thresholds, scales.double().contiguous(), right=False)
    symbols, indexes = y_sym[0].numpy(), idx[0].numpy()
    if model.has_context:  # anchors first, as the exact path codes them
        from aecodec.models.context import anchor_mask

        order = anchor_mask(*y.shape[2:]).expand_as(y_sym)[0].numpy()
        symbols = np.concatenate([symbols[order], symbols[~order]])
        indexes = np.concatenate([indexes[order], indexes[~order]])
    y_bytes = model.y_tables.encode(symbols, indexes)
    return len(z_bytes) + len(y_bytes), y_sym.double() + means.double()


def exact_path(model, y: torch.Tensor) -> tuple[int, torch.Tensor]:
    """Stream bytes and decoded ŷ of the shipped (exact) path."""
    s = model.code_latents(y)
    return len(s.z_bytes) + len(s.y_bytes), model.decode_latents(s)


def compare_paths(model, images, paths: dict) -> dict:
    """Mean (bpp, PSNR) per quality of each way ``paths[name](model, y) → (bytes, ŷ)``
    of coding the same analysis ``y`` (synthesis and 8-bit output as the decoder's)."""
    from aecodec.pixels import to_tensor, to_uint8

    curves = {key: [] for key in paths}
    for q in QUALITIES:
        acc = {key: [] for key in paths}
        for name, im in images:
            ref = np.asarray(im)
            y = model.analyse(to_tensor(ref, 64), float(q))
            for key, path in paths.items():
                nbytes, y_hat = path(model, y)
                out = to_uint8(model.synthesise(y_hat, float(q)), im.height, im.width)
                acc[key].append((8 * nbytes / (im.width * im.height), psnr(ref, out)))
        for key in curves:
            curves[key].append({"quality": q, "bpp": float(np.mean([a for a, _ in acc[key]])),
                                "psnr": float(np.mean([b for _, b in acc[key]]))})
        print(f"q={q}: " + ", ".join(f"{k} {v[-1]}" for k, v in curves.items()), file=sys.stderr)
    return curves


def bd_between(curves: dict, test: str, reference: str):
    """BD-rate of ``curves[test]`` against ``curves[reference]``."""
    return bd_rate([p["bpp"] for p in curves[reference]], [p["psnr"] for p in curves[reference]],
                   [p["bpp"] for p in curves[test]], [p["psnr"] for p in curves[test]])


def measure(model, data, limit, paths: dict, test: str, reference: str, command: str,
            key: str) -> dict:
    """:func:`compare_paths` on the images of ``data``, with the BD-rate of ``test``
    against ``reference`` stored under ``key`` (percent)."""
    images = load_images(data, limit)
    curves = compare_paths(model, images, paths)
    bd = bd_between(curves, test, reference)
    return {"command": command, "images": len(images), "model_id": model.entry.id,
            "curves": curves, key: round(bd.percent, 3),
            "psnr_range": [round(bd.low, 3), round(bd.high, 3)]}


def run(data, limit=None) -> dict:
    from aecodec.models.loader import load_model
    from aecodec.models.registry import DEFAULT_MODEL_ID

    return measure(load_model(DEFAULT_MODEL_ID), data, limit,
                   {"exact": exact_path, "float": _float_path}, "exact", "float",
                   "python -m benchmarks.exact_cost", "bd_rate_exact_vs_float_percent")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="RD cost of the exact entropy path.")
    p.add_argument("--data", default=None)
    p.add_argument("--limit", type=int, default=None)
    a = p.parse_args(argv)
    from pathlib import Path
    res = run(Path(a.data) if a.data else kodak_dir(), a.limit)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "exact_cost.json").write_text(json.dumps(res, indent=1) + "\n")
    print(f"BD-rate of the exact path vs float: {res['bd_rate_exact_vs_float_percent']:+.3f} % "
          f"over {res['psnr_range'][0]:.2f}–{res['psnr_range'][1]:.2f} dB")


if __name__ == "__main__":
    main()
