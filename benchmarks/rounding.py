"""Is rounding ŷ to the nearest integer the encoder's best choice?

    python -m benchmarks.rounding [--count 10] [--offsets -0.1,-0.05,0,0.05,0.1,0.2]

The encoder codes each latent's symbol ``floor(y − mean + ½)``: the nearest
integer to its distance from the predicted mean. Classic codecs gain by a dead
zone, rounding towards the prediction where it saves more bits than it costs
in distortion (rate–distortion optimised quantization). This measures it with
a fixed offset ``δ``: each symbol becomes ``sign(r)·floor(|r| + ½ − δ)`` for
``r = y − mean`` (``δ > 0`` rounds towards the mean, ``δ < 0`` away from it),
the hyper-latents as always. The files are ordinary files that every reader
decodes; only the encoder's choice of symbols changes.

Photos: ``--count`` evenly spaced photos of the training folder's training
part (not the held-out tenth, not Kodak: a choice of the encoder is not tuned
on a test set), at the sweep of DESIGN §7. BD-rate of each offset against
``δ = 0`` on the mean curve and image by image. Writes
``benchmarks/results/rounding.{json,md}``.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
from pathlib import Path
from unittest import mock

import numpy as np
from PIL import Image

from .bdrate import bd_rate
from .codecs import AECODEC
from .metrics import psnr
from .paths import data_root
from .results_io import mean_curve, save

OFFSETS = (-0.1, -0.05, 0.0, 0.05, 0.1, 0.2)


@contextlib.contextmanager
def rounding_offset(delta: float):
    """Within the block, ``aecodec.encode`` rounds each ŷ residual ``r`` to
    ``sign(r)·floor(|r| + ½ − delta)`` (``delta = 0``: the codec's own rounding)."""
    import torch

    from aecodec import kernels
    from aecodec.models.codec_model import CodecModel

    if delta == 0:
        yield
        return
    plain_quantize, plain_latents = kernels.quantize, CodecModel.quantize_latents
    inside = [False]

    def quantize(values, centres):
        if not inside[0]:  # the hyper-latents
            return plain_quantize(values, centres)
        r = values.double() - centres.double()
        return (torch.sign(r) * torch.floor(r.abs() + 0.5 - delta)).to(torch.int64)

    def quantize_latents(self, *args, **kwargs):
        inside[0] = True
        try:
            return plain_latents(self, *args, **kwargs)
        finally:
            inside[0] = False

    with mock.patch.object(kernels, "quantize", quantize), \
            mock.patch.object(CodecModel, "quantize_latents", quantize_latents):
        yield


def training_photos(root: Path, count: int) -> list[tuple[str, Image.Image]]:
    """``count`` evenly spaced photos of the training part (held-out tenth excluded),
    as bare RGB pixels (metadata dropped, as :func:`benchmarks.rd.load_images`)."""
    from aecodec.training.data import spread_training_names

    out = []
    for name in spread_training_names(root, count):
        with Image.open(root / name) as im:
            out.append((name, Image.fromarray(np.asarray(im.convert("RGB")))))
    return out


def run(images, offsets=OFFSETS, qualities=AECODEC.settings) -> dict:
    import aecodec
    from aecodec.models.registry import DEFAULT_MODEL_ID

    points = {d: [] for d in offsets}
    for name, im in images:
        ref = np.asarray(im)
        for d in offsets:
            for q in qualities:
                with rounding_offset(d):
                    data = aecodec.encode(im, quality=q)
                points[d].append({"image": name, "quality": q,
                                  "bpp": 8 * len(data) / (im.width * im.height),
                                  "psnr": psnr(ref, np.asarray(aecodec.decode(data)))})
        print(name, flush=True)
    curves = {d: mean_curve(points[d], qualities) for d in offsets}

    def bd(a: list[dict], b: list[dict]) -> float:
        return bd_rate([p["bpp"] for p in a], [p["psnr"] for p in a],
                       [p["bpp"] for p in b], [p["psnr"] for p in b]).percent

    rows = []
    for d in offsets:
        per_image = [bd([p for p in points[0.0] if p["image"] == name],
                        [p for p in points[d] if p["image"] == name]) for name, _ in images]
        rows.append({"offset": d, "bd_rate_vs_nearest": bd(curves[0.0], curves[d]),
                     "median_image_bd_rate": statistics.median(per_image),
                     "images_below_0": sum(v < 0 for v in per_image), "curve": curves[d]})
    return {"command": "python -m benchmarks.rounding", "model_id": DEFAULT_MODEL_ID,
            "images": [name for name, _ in images], "qualities": list(qualities), "offsets": rows}


def write_markdown(res: dict, path: Path) -> None:
    lines = [f"# Rounding offsets of the latents (model {res['model_id']})", "",
             f"`{res['command']}`: {len(res['images'])} training photos (held-out tenth and Kodak "
             "excluded), aecodec's quality sweep. Each ŷ symbol is `sign(r)·floor(|r| + ½ − δ)`, "
             "`r = y − mean`; δ = 0 is the codec's rounding, δ > 0 a dead zone towards the mean. "
             "BD-rate against δ = 0 (negative: fewer bits at equal PSNR).", "",
             "| δ | BD-rate (mean curve) | median image | images below 0 | bpp / PSNR at q10 | at q95 |",
             "|---:|---:|---:|---:|---:|---:|"]
    for r in res["offsets"]:
        lo, hi = r["curve"][0], r["curve"][-1]
        lines.append(f"| {r['offset']:+.2f} | {r['bd_rate_vs_nearest']:+.2f} % | "
                     f"{r['median_image_bd_rate']:+.2f} % | {r['images_below_0']} of {len(res['images'])} | "
                     f"{lo['bpp']:.4f} / {lo['psnr']:.2f} | {hi['bpp']:.4f} / {hi['psnr']:.2f} |")
    path.write_text("\n".join(lines) + "\n")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="BD-rate of rounding offsets of the latents.")
    p.add_argument("--count", type=int, default=10, help="training photos (default 10)")
    p.add_argument("--offsets", default=",".join(f"{d:g}" for d in OFFSETS),
                   help="comma-separated offsets δ; 0 (the reference) is always added")
    a = p.parse_args(argv)
    offsets = sorted({0.0, *(float(v) for v in a.offsets.split(","))})
    save("rounding", run(training_photos(data_root() / "train", a.count), offsets), write_markdown)


if __name__ == "__main__":
    main()
