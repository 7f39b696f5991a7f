"""Do qualities between the trained rate levels cost rate?

    python -m benchmarks.interpolation [--every N] [--limit N]

Training draws only the model's rate levels (qualities 0, 20, …, 100 for six
levels); qualities between them interpolate the gain vectors geometrically
(:mod:`aecodec.models.hyperprior`), and were never trained as such. This codes
the held-out tenth of the training folder (never trained on; not Kodak, so a
recipe choice is not tuned on the test set) at every 5th quality with the
default model, fits the RD curve through the trained levels alone (log-rate
as a pchip function of PSNR, as BD-rate does), and reports each in-between
quality's rate against that curve at its own PSNR: 1.000 means interpolation
costs nothing; above 1, it costs bits. Writes ``benchmarks/results/interpolation.{json,md}``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.interpolate import PchipInterpolator

from .metrics import psnr
from .paths import REPO_ROOT, data_root
from .rd import load_images
from .results_io import mean_curve, save

QUALITIES = tuple(range(0, 101, 5))


def run(images) -> dict:
    import aecodec
    from aecodec.models import QUALITY_MAX, QUALITY_MIN
    from aecodec.models.loader import load_model
    from aecodec.models.registry import DEFAULT_MODEL_ID

    model = load_model(DEFAULT_MODEL_ID)
    step = (QUALITY_MAX - QUALITY_MIN) / (model.levels - 1)
    trained = [round(QUALITY_MIN + i * step, 6) for i in range(model.levels)]
    points = []
    for name, im in images:
        ref = np.asarray(im)
        for q in QUALITIES:
            data = aecodec.encode(im, quality=q)
            points.append({"image": name, "quality": q, "bpp": 8 * len(data) / (im.width * im.height),
                           "psnr": psnr(ref, np.asarray(aecodec.decode(data)))})
    curve = mean_curve(points, QUALITIES)
    on_levels = [p for p in curve if p["quality"] in trained]
    fit = PchipInterpolator([p["psnr"] for p in on_levels], np.log([p["bpp"] for p in on_levels]))
    between = [{"quality": p["quality"],
                "rate_vs_level_curve": float(np.exp(np.log(p["bpp"]) - fit(p["psnr"])))}
               for p in curve if p["quality"] not in trained]
    ratios = [b["rate_vs_level_curve"] for b in between]
    return {"command": "python -m benchmarks.interpolation", "model_id": DEFAULT_MODEL_ID,
            "images": len(images), "trained_qualities": trained, "curve": curve,
            "between_levels": between, "mean_ratio": float(np.mean(ratios)),
            "worst_ratio": float(max(ratios))}


def write_markdown(res: dict, path: Path) -> None:
    lines = [f"# Qualities between the trained rate levels (model {res['model_id']})", "",
             f"`{res['command']}`: {res['images']} held-out photos. Rate of each in-between "
             "quality against the RD curve through the trained levels "
             f"({', '.join(f'{q:g}' for q in res['trained_qualities'])}), at equal PSNR.", "",
             "| quality | bpp | PSNR (dB) | rate vs level curve |", "|---:|---:|---:|---:|"]
    ratio = {b["quality"]: b["rate_vs_level_curve"] for b in res["between_levels"]}
    for p in res["curve"]:
        cell = f"{ratio[p['quality']]:.4f}" if p["quality"] in ratio else "(trained level)"
        lines.append(f"| {p['quality']} | {p['bpp']:.4f} | {p['psnr']:.3f} | {cell} |")
    lines += ["", f"Mean {res['mean_ratio']:.4f}, worst {res['worst_ratio']:.4f}."]
    path.write_text("\n".join(lines) + "\n")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="Rate cost of qualities between trained levels.")
    p.add_argument("--every", type=int, default=12, help="every N-th held-out photo (default 12)")
    p.add_argument("--limit", type=int, default=None)
    a = p.parse_args(argv)
    images = load_images(data_root() / "train", a.limit, REPO_ROOT / "benchmarks" / "heldout.txt",
                         a.every)
    save("interpolation", run(images), write_markdown)


if __name__ == "__main__":
    main()
