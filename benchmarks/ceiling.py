"""The transforms' own PSNR ceiling: how close aecodec's top quality comes to it.

    python -m benchmarks.ceiling benchmarks/results/heldout [--model 16] [--quality 100]

For every image of the ``results.json`` that ``python -m benchmarks.rd`` wrote
in that folder (same data folder, read from the results), this runs the
analysis and synthesis transforms at ``--quality`` with the latents *not*
quantized: ``g_s(g_a(x))`` with the level's gains, no rounding, no entropy
coding. That PSNR is a ceiling no file of that model reaches at any rate: all
quantization can do is lose more. Beside it stand the PSNR of aecodec's
highest setting in the results (real bitstreams) and the image's own BD-rate
against AVIF (``benchmarks.gap``). Writes ``ceiling.md`` and ``ceiling.json``
beside the results.

An image whose top setting sits within a few tenths of a dB of its ceiling
cannot buy quality with bits any more: its rate–distortion curve flattens and
its BD-rate against a codec without such a ceiling grows. Run it with the
model the results were measured with (the default model unless the results
say otherwise).
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np
from PIL import Image

from .gap import _source, per_image
from .metrics import psnr
from .paths import REPO_ROOT


def ceiling_psnr(model, image: np.ndarray, quality: float) -> float:
    """PSNR of ``g_s(g_a(x))`` at ``quality`` without quantization (output rounded to 8 bits)."""
    from aecodec.pixels import to_tensor, to_uint8
    from aecodec.tiling import STRIDE

    h, w = image.shape[:2]
    x = to_tensor(image, STRIDE)
    out = model.synthesise(model.analyse(x, quality), quality)
    return psnr(image, to_uint8(out, h, w))


def _top_points(points: list[dict]) -> dict[str, dict]:
    """Each image's point at the codec's highest setting."""
    top = max(points, key=lambda p: p["setting"])
    return {i["image"]: dict(i, setting=top["setting"]) for i in top["images"]}


def analyse(results: dict, data: Path, model_id: int, quality: float,
            test: str = "aecodec", anchor: str = "AVIF") -> dict:
    from aecodec.models.loader import load_model

    model = load_model(model_id)
    codecs = results["codecs"]
    top = _top_points(codecs[test]["points"])
    bd = {r["image"]: r["percent"] for r in per_image(codecs[test]["points"], codecs[anchor]["points"])} \
        if anchor in codecs else {}
    rows = []
    for name in sorted(top):
        with Image.open(Path(data) / name) as im:
            ceiling = ceiling_psnr(model, np.asarray(im.convert("RGB")), quality)
        rows.append({"image": name, "ceiling_psnr": ceiling, "top_setting": top[name]["setting"],
                     "top_psnr": top[name]["psnr"], "top_bpp": top[name]["bpp"],
                     "headroom_db": ceiling - top[name]["psnr"], "bd_rate_vs_anchor": bd.get(name)})
    by_source: dict[str, list[dict]] = {}
    for r in rows:
        by_source.setdefault(_source(r["image"]), []).append(r)
    by_source = {**dict(sorted(by_source.items())), "all": rows}
    summary = {s: {"images": len(g),
                   "mean_ceiling_psnr": statistics.fmean(r["ceiling_psnr"] for r in g),
                   "mean_top_psnr": statistics.fmean(r["top_psnr"] for r in g),
                   "median_headroom_db": statistics.median(r["headroom_db"] for r in g)}
               for s, g in by_source.items()}
    paired = [(r["headroom_db"], r["bd_rate_vs_anchor"]) for r in rows if r["bd_rate_vs_anchor"] is not None]
    corr = None
    if len(paired) > 2 and min(np.ptp(np.array(paired), axis=0)) > 0:  # both sides must vary
        corr = float(np.corrcoef(np.array(paired).T)[0, 1])
    return {"model": model_id, "quality": quality, "test": test, "anchor": anchor,
            "headroom_vs_bd_rate_correlation": corr, "by_source": summary, "by_image": rows}


def write_markdown(res: dict, path: Path) -> None:
    a = res["anchor"]
    lines = ["# The transforms' PSNR ceiling", "",
             f"Written by `python -m benchmarks.ceiling` (model {res['model']}, latents unquantized at "
             f"quality {res['quality']:g}) beside `results.json` in this folder. The top setting's PSNR "
             "comes from the results' real bitstreams; headroom = ceiling − top PSNR.", ""]
    if res["headroom_vs_bd_rate_correlation"] is not None:
        lines += [f"Correlation of an image's headroom with its BD-rate vs {a}: "
                  f"**{res['headroom_vs_bd_rate_correlation']:+.2f}**.", ""]
    lines += ["| source | images | mean ceiling | mean top PSNR | median headroom |",
              "|---|---:|---:|---:|---:|"]
    for s, g in res["by_source"].items():
        lines.append(f"| {s} | {g['images']} | {g['mean_ceiling_psnr']:.2f} dB | {g['mean_top_psnr']:.2f} dB "
                     f"| {g['median_headroom_db']:.2f} dB |")
    lines += ["", f"| image | ceiling | top setting: PSNR, bpp | headroom | BD-rate vs {a} |",
              "|---|---:|---:|---:|---:|"]
    for r in sorted(res["by_image"], key=lambda r: r["headroom_db"]):
        bd = "—" if r["bd_rate_vs_anchor"] is None else f"{r['bd_rate_vs_anchor']:+.1f} %"
        lines.append(f"| {r['image']} | {r['ceiling_psnr']:.2f} dB | {r['top_psnr']:.2f} dB, "
                     f"{r['top_bpp']:.3f} | {r['headroom_db']:.2f} dB | {bd} |")
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    from aecodec.models.registry import DEFAULT_MODEL_ID

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path, help="a folder holding results.json from benchmarks.rd")
    ap.add_argument("--model", type=int, default=DEFAULT_MODEL_ID, help="the model the results measured")
    ap.add_argument("--quality", type=float, default=100.0, help="the level whose gains are used")
    ap.add_argument("--data", type=Path, default=None, help="image folder (default: the results' own)")
    args = ap.parse_args(argv)
    src = args.folder / "results.json"
    if not src.is_file():
        raise SystemExit(f"{src} not found: run `python -m benchmarks.rd ... --out {args.folder}` first")
    results = json.loads(src.read_text())
    data = args.data or (REPO_ROOT / results["data"])
    res = analyse(results, data, args.model, args.quality)
    (args.folder / "ceiling.json").write_text(json.dumps(res, indent=1) + "\n")
    write_markdown(res, args.folder / "ceiling.md")
    print((args.folder / "ceiling.md").read_text())


if __name__ == "__main__":
    main()
