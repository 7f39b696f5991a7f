"""RD cost of running the transforms in bfloat16 instead of float32.

    python -m benchmarks.precision [--data DIR] [--limit N]

aecodec runs ``g_a`` and ``g_s`` in bfloat16 where the CPU computes it natively
(``AECODEC_TRANSFORMS`` overrides). The entropy path is integer in both cases,
so precision only moves the analysis (hence bits) and the synthesis (pixels).
Through the public API, on every image and quality:

* **fp32**: encoded and decoded with float32 transforms (the reference);
* **bf16**: encoded and decoded with bfloat16 transforms (what ships);
* **bf16 → fp32**: the bf16 file decoded with float32 transforms (a machine
  without native bfloat16 reading it).

Reports mean bpp / PSNR per quality, BD-PSNR and BD-rate against fp32 and the
PSNR between the two decodes of the same file. Writes
``benchmarks/results/precision.{json,md}``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .bdrate import bd_psnr, bd_rate
from .metrics import psnr
from .paths import kodak_dir
from .rd import load_images
from .results_io import curve_table, mean_curve, save

QUALITIES = (10, 30, 50, 70, 95)
CONFIGS = {"fp32": ("fp32", "fp32"), "bf16": ("bf16", "bf16"), "bf16 → fp32": ("bf16", "fp32")}


def run(data: Path, limit: int | None = None) -> dict:
    import aecodec
    from aecodec.models.loader import load_model
    from aecodec.models.registry import DEFAULT_MODEL_ID

    model = load_model(DEFAULT_MODEL_ID)
    images = load_images(data, limit)
    per_image: dict[str, list] = {k: [] for k in CONFIGS}
    agreement = []
    for q in QUALITIES:
        for name, im in images:
            ref = np.asarray(im)
            files, decoded = {}, {}  # files by encoder precision
            for key, (enc, dec) in CONFIGS.items():
                model.precision = enc
                if enc not in files:
                    files[enc] = aecodec.encode(im, quality=q)
                model.precision = dec
                decoded[key] = np.asarray(aecodec.decode(files[enc]))
                bpp = 8 * len(files[enc]) / (im.width * im.height)
                per_image[key].append({"image": name, "quality": q, "bpp": bpp,
                                       "psnr": psnr(ref, decoded[key])})
            agreement.append(psnr(decoded["bf16"], decoded["bf16 → fp32"]))
        print(f"q={q} done", file=sys.stderr)
    model.precision = "fp32"
    curves = {k: mean_curve(v, QUALITIES) for k, v in per_image.items()}

    def against_fp32(key: str) -> dict:
        a, t = curves["fp32"], curves[key]
        args = ([p["bpp"] for p in a], [p["psnr"] for p in a], [p["bpp"] for p in t], [p["psnr"] for p in t])
        return {"bd_psnr_db": round(bd_psnr(*args).percent, 4), "bd_rate_percent": round(bd_rate(*args).percent, 3),
                "max_abs_delta_psnr_at_equal_quality_db": round(max(
                    abs(p["psnr"] - r["psnr"]) for p, r in zip(t, a)), 4)}

    return {"command": "python -m benchmarks.precision", "images": len(images), "model_id": DEFAULT_MODEL_ID,
            "qualities": list(QUALITIES), "curves": curves,
            "vs_fp32": {k: against_fp32(k) for k in CONFIGS if k != "fp32"},
            "bf16_vs_fp32_decode_of_same_file_psnr_db": {"min": round(min(agreement), 2),
                                                         "median": round(float(np.median(agreement)), 2)}}


def write_markdown(res: dict, out: Path) -> None:
    lines = ["# Transforms in bfloat16 vs float32",
             "",
             f"`{res['command']}` — {res['images']} Kodak images, model {res['model_id']}, "
             "real files through `aecodec.encode`/`decode`.",
             "", *curve_table(res["curves"], res["qualities"])]
    lines += ["", "| against fp32 | BD-PSNR | BD-rate | max \\|ΔPSNR\\| at equal quality |", "|---|---:|---:|---:|"]
    for k, v in res["vs_fp32"].items():
        lines.append(f"| {k} | {v['bd_psnr_db']:+.4f} dB | {v['bd_rate_percent']:+.3f} % | "
                     f"{v['max_abs_delta_psnr_at_equal_quality_db']:.4f} dB |")
    agree = res["bf16_vs_fp32_decode_of_same_file_psnr_db"]
    lines += ["", f"The same bf16 file decoded with bf16 and with fp32 transforms: PSNR between the two "
              f"decodes min {agree['min']} dB, median {agree['median']} dB.", ""]
    out.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="RD cost of bfloat16 transforms.")
    p.add_argument("--data", default=None)
    p.add_argument("--limit", type=int, default=None)
    a = p.parse_args(argv)
    res = run(Path(a.data) if a.data else kodak_dir(), a.limit)
    save("precision", res, write_markdown)


if __name__ == "__main__":
    main()
