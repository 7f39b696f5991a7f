"""Do tiles show? Tiled against whole-image coding on Kodak.

    python -m benchmarks.tiling [--data DIR] [--limit N] [--tile 256]

Each Kodak image (768×512) is coded whole (one tile) and on a grid of
``--tile``-pixel tiles, at several qualities, through the public API:

* **tiled**: the shipped model's rule (transforms see ``tile_margin`` pixels
  across tile borders, :mod:`aecodec.tiling`);
* **independent tiles**: the same grid with margin 0, each tile coded as if
  it were an image of its own (shown for contrast).

Reports mean bpp / PSNR, ΔPSNR against whole-image coding at equal quality,
BD-rate, and the error profile across tile borders: mean squared error of
pixels at each distance from a vertical or horizontal tile border, divided by
the same pixels' error when the image is coded whole (1.0 = no step).
Writes ``benchmarks/results/tiling.{json,md}``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

from .bdrate import bd_rate
from .metrics import psnr
from .paths import kodak_dir
from .rd import load_images
from .results_io import curve_table, mean_curve, save

QUALITIES = (10, 40, 70, 95)
REACH = 8  # pixels on each side of a border in the profile


def border_errors(err: np.ndarray, tile: int) -> np.ndarray:
    """Sum of squared error (over RGB) at offsets ``-REACH … REACH-1`` from every
    interior tile border, vertical and horizontal; returns ``[2·REACH]`` sums."""
    h, w = err.shape
    out = np.zeros(2 * REACH)
    for b in range(tile, w, tile):
        out += err[:, b - REACH:b + REACH].sum(0)
    for b in range(tile, h, tile):
        out += err[b - REACH:b + REACH, :].sum(1)
    return out


def run(data: Path, tile: int, limit: int | None = None) -> dict:
    import aecodec
    from aecodec.models.loader import load_model
    from aecodec.models.registry import DEFAULT_MODEL_ID

    model = load_model(DEFAULT_MODEL_ID, "cpu")
    shipped = model.entry
    variants = {"whole": (None, shipped.tile_margin), "tiled": (tile, shipped.tile_margin),
                "independent tiles": (tile, 0)}
    images = load_images(data, limit)
    points = {k: [] for k in variants}
    profile = {k: np.zeros(2 * REACH) for k in variants}
    try:
        for q in QUALITIES:
            for name, im in images:
                ref = np.asarray(im).astype(np.float64)
                for key, (tile_size, margin) in variants.items():
                    model.entry = dataclasses.replace(shipped, tile_margin=margin)
                    data_ = aecodec.encode(im, quality=q, **({"tile_size": tile_size} if tile_size else {}))
                    out = np.asarray(aecodec.decode(data_))
                    points[key].append({"image": name, "quality": q, "psnr": psnr(np.asarray(im), out),
                                        "bpp": 8 * len(data_) / (im.width * im.height)})
                    profile[key] += border_errors(((out - ref) ** 2).sum(2), tile)
            print(f"q={q} done", file=sys.stderr)
    finally:
        model.entry = shipped
    curves = {k: mean_curve(v, QUALITIES) for k, v in points.items()}

    def against_whole(key: str) -> dict:
        a, t = curves["whole"], curves[key]
        bd = bd_rate([p["bpp"] for p in a], [p["psnr"] for p in a], [p["bpp"] for p in t], [p["psnr"] for p in t])
        deltas = [p["psnr"] - r["psnr"] for p, r in zip(t, a)]
        per_image = [p["psnr"] - r["psnr"] for p, r in zip(points[key], points["whole"])]
        ratio = profile[key] / profile["whole"]
        return {"delta_psnr_db_per_quality": [round(d, 4) for d in deltas],
                "worst_image_delta_psnr_db": round(min(per_image), 4),
                "bd_rate_percent": round(bd.percent, 3),
                "border_error_ratio": [round(float(r), 3) for r in ratio],
                "border_step": round(float(ratio[REACH - 1:REACH + 1].mean()
                                           / np.r_[ratio[:REACH - 3], ratio[REACH + 3:]].mean()), 3)}

    return {"command": f"python -m benchmarks.tiling --tile {tile}", "images": len(images),
            "model_id": DEFAULT_MODEL_ID, "tile_size": tile, "tile_margin": shipped.tile_margin,
            "qualities": list(QUALITIES), "curves": curves,
            "vs_whole": {k: against_whole(k) for k in ("tiled", "independent tiles")}}


def write_markdown(res: dict, out: Path) -> None:
    lines = ["# Tiled vs whole-image coding",
             "",
             f"`{res['command']}` — {res['images']} Kodak images, model {res['model_id']} "
             f"(tile margin {res['tile_margin']} px), {res['tile_size']}-pixel tiles vs one tile.",
             "", *curve_table(res["curves"], res["qualities"])]
    lines += ["", "| against whole | ΔPSNR per quality (dB) | worst image ΔPSNR | BD-rate | border step |",
              "|---|---|---:|---:|---:|"]
    for k, v in res["vs_whole"].items():
        lines.append(f"| {k} | {', '.join(f'{d:+.3f}' for d in v['delta_psnr_db_per_quality'])} | "
                     f"{v['worst_image_delta_psnr_db']:+.3f} dB | {v['bd_rate_percent']:+.2f} % | "
                     f"{v['border_step']:.2f}× |")
    lines += ["", f"Error profile across tile borders: squared error at each distance from a border, "
              f"relative to the same pixels coded whole (offsets −{REACH} … {REACH - 1}; the border lies "
              "between −1 and 0). *Border step* = the ratio at the two pixels touching the border over "
              "the ratio 3 or more pixels away.", "",
              "| offset | " + " | ".join(str(o) for o in range(-REACH, REACH)) + " |",
              "|---|" + "---:|" * (2 * REACH)]
    for k, v in res["vs_whole"].items():
        lines.append(f"| {k} | " + " | ".join(f"{r:.2f}" for r in v["border_error_ratio"]) + " |")
    out.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Tiled vs whole-image coding on Kodak.")
    p.add_argument("--data", default=None)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--tile", type=int, default=256)
    a = p.parse_args(argv)
    res = run(Path(a.data) if a.data else kodak_dir(), a.tile, a.limit)
    save("tiling", res, write_markdown)


if __name__ == "__main__":
    main()
