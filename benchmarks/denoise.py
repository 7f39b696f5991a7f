"""De-noising mode on noisy Kodak: does ``denoise=True`` drop the noise?

    python -m benchmarks.denoise [--data DIR] [--sigma 15] [--limit N]

Every Kodak image gets Gaussian noise of σ = ``--sigma`` (0–255 scale; seeded,
clipped and rounded to 8 bits). Then, over each codec's quality sweep:

* **aecodec --denoise**: the de-noising model on the noisy image;
* **aecodec**: the shipped general model on the noisy image;
* **JPEG**: Pillow's JPEG on the noisy image.

Rate is whole-file bits per pixel; distortion is PSNR-RGB against the *clean*
image. Also reported: the noisy input's own PSNR. BD-PSNR and BD-rate (against
the clean image) of ``--denoise`` against plain aecodec and JPEG. Writes
``benchmarks/results/denoise.{json,md}``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from .bdrate import NoOverlapError, bd_psnr, bd_rate
from .codecs import AECODEC, CLASSIC
from .metrics import psnr
from .paths import kodak_dir
from .rd import load_images
from .results_io import mean_curve, save


def noisy_copy(im: Image.Image, sigma: float, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    arr = np.asarray(im, np.float64) + rng.normal(0, sigma, (im.height, im.width, 3))
    return Image.fromarray(np.clip(np.round(arr), 0, 255).astype(np.uint8))


def _aecodec_denoise(image: Image.Image, setting: float) -> tuple[int, np.ndarray]:
    import aecodec

    data = aecodec.encode(image, quality=setting, denoise=True)
    return len(data), np.asarray(aecodec.decode(data).convert("RGB"))


def run(data: Path, sigma: float, limit: int | None = None) -> dict:
    from aecodec.models import registry

    codecs = {"aecodec --denoise": (AECODEC.settings, _aecodec_denoise),
              "aecodec": (AECODEC.settings, AECODEC.code),
              "JPEG": (CLASSIC["jpeg"].settings, CLASSIC["jpeg"].code)}
    images = load_images(data, limit)
    noisy = [(name, im, noisy_copy(im, sigma, seed)) for seed, (name, im) in enumerate(images)]
    input_psnr = float(np.mean([psnr(np.asarray(im), np.asarray(n)) for _, im, n in noisy]))
    curves = {}
    for key, (settings, code) in codecs.items():
        curve = []
        for s in settings:
            pts = []
            for _, clean, n in noisy:
                size, out = code(n, s)
                pts.append((8 * size / (n.width * n.height), psnr(np.asarray(clean), out)))
            curve.append({"setting": s, "bpp": float(np.mean([b for b, _ in pts])),
                          "psnr_vs_clean": float(np.mean([p for _, p in pts]))})
        curves[key] = curve
        print(f"{key} done", file=sys.stderr)

    def compare(anchor: str) -> dict:
        a, t = curves[anchor], curves["aecodec --denoise"]
        args = ([p["bpp"] for p in a], [p["psnr_vs_clean"] for p in a],
                [p["bpp"] for p in t], [p["psnr_vs_clean"] for p in t])
        out = {}
        for name, fn in (("bd_psnr_db", bd_psnr), ("bd_rate_percent", bd_rate)):
            try:
                out[name] = round(fn(*args).percent, 3)
            except NoOverlapError:
                out[name] = None
        return out

    return {"command": f"python -m benchmarks.denoise --sigma {sigma:g}", "images": len(images),
            "sigma": sigma, "denoise_model_id": registry.DENOISE_MODEL_ID,
            "general_model_id": registry.DEFAULT_MODEL_ID, "noisy_input_psnr": round(input_psnr, 3),
            "curves": curves, "denoise_vs": {k: compare(k) for k in ("aecodec", "JPEG")}}


def write_markdown(res: dict, out: Path) -> None:
    lines = ["# De-noising mode", "",
             f"`{res['command']}` — {res['images']} Kodak images with Gaussian noise σ = {res['sigma']:g} "
             f"(noisy input: {res['noisy_input_psnr']:.2f} dB against the clean image). PSNR is against the "
             f"clean image; rate is whole-file bpp. De-noising model {res['denoise_model_id']}, general "
             f"model {res['general_model_id']}.", ""]
    for key, curve in res["curves"].items():
        lines += [f"**{key}**: " + ", ".join(f"q{p['setting']:g} {p['bpp']:.3f} bpp / "
                                             f"{p['psnr_vs_clean']:.2f} dB" for p in curve), ""]
    lines += ["| --denoise against | BD-PSNR (vs clean) | BD-rate (vs clean) |", "|---|---:|---:|"]
    for k, v in res["denoise_vs"].items():
        def cell(x, unit):
            return "no overlap" if x is None else f"{x:+.2f}{unit}"
        lines.append(f"| {k} | {cell(v['bd_psnr_db'], ' dB')} | {cell(v['bd_rate_percent'], ' %')} |")
    out.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="De-noising mode on noisy Kodak.")
    p.add_argument("--data", default=None)
    p.add_argument("--sigma", type=float, default=15.0)
    p.add_argument("--limit", type=int, default=None)
    a = p.parse_args(argv)
    res = run(Path(a.data) if a.data else kodak_dir(), a.sigma, a.limit)
    save("denoise", res, write_markdown)


if __name__ == "__main__":
    main()
