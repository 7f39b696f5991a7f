"""Where aecodec's rate gap to another codec lies: by quality, and by image.

    python -m benchmarks.gap benchmarks/results/heldout [--anchor AVIF] [--test aecodec]

Reads the ``results.json`` that ``python -m benchmarks.rd`` wrote in that
folder and writes ``gap.md`` and ``gap.json`` beside it:

* **by quality**: at each of the test codec's mean (bpp, PSNR) points, the
  anchor's rate at the same PSNR (its log-rate interpolated along its mean
  curve) and the ratio test / anchor. Above 1 means more bits than the anchor.
* **by image**: each image's own BD-rate against the anchor (both codecs'
  points for that image), grouped by the image's folder (its source), with
  each group's median. The report's BD-rate pools the images (mean bpp and
  PSNR per setting), so large or hard images weigh more there than here.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy.interpolate import PchipInterpolator

from .bdrate import NoOverlapError, _curve, bd_rate


def rate_ratios(test: list[dict], anchor: list[dict]) -> list[dict]:
    """Per point of ``test``: the anchor's bpp at the same PSNR and test bpp / anchor bpp
    (``None`` outside the anchor's PSNR range)."""
    q, logr = _curve([p["bpp"] for p in anchor], [p["psnr"] for p in anchor])
    at = PchipInterpolator(q, logr, extrapolate=False)
    out = []
    for p in test:
        log_anchor = float(at(p["psnr"]))
        anchor_bpp = None if np.isnan(log_anchor) else 10.0 ** log_anchor
        out.append({"setting": p.get("setting"), "bpp": p["bpp"], "psnr": p["psnr"],
                    "anchor_bpp": anchor_bpp,
                    "ratio": None if anchor_bpp is None else p["bpp"] / anchor_bpp})
    return out


def _per_image_curves(points: list[dict]) -> dict[str, tuple[list[float], list[float]]]:
    curves: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for p in points:
        for im in p["images"]:
            curves[im["image"]][0].append(im["bpp"])
            curves[im["image"]][1].append(im["psnr"])
    return dict(curves)


def per_image(test: list[dict], anchor: list[dict]) -> list[dict]:
    """Each image's BD-rate (test vs anchor), its PSNR overlap and its source folder."""
    t, a = _per_image_curves(test), _per_image_curves(anchor)
    rows = []
    for name in sorted(t):
        if name not in a:
            continue
        try:
            res = bd_rate(*a[name], *t[name])
        except (NoOverlapError, ValueError):
            rows.append({"image": name, "source": _source(name), "percent": None, "range": None})
            continue
        rows.append({"image": name, "source": _source(name), "percent": round(res.percent, 2),
                     "range": [round(res.low, 2), round(res.high, 2)]})
    return rows


def _source(image: str) -> str:
    return image.rsplit("/", 1)[0] if "/" in image else "."


def by_source(rows: list[dict]) -> dict[str, dict]:
    """Per source folder (and ``all`` when there are several): image count, median and
    mean BD-rate, images at or below 0 %."""
    groups: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        if r["percent"] is not None:
            groups[r["source"]].append(r["percent"])
    if len(groups) > 1:
        groups["all"] = [r["percent"] for r in rows if r["percent"] is not None]
    return {s: {"images": len(v), "median": round(statistics.median(v), 2),
                "mean": round(statistics.fmean(v), 2), "at_or_below_zero": sum(x <= 0 for x in v)}
            for s, v in groups.items() if v}


def analyse(results: dict, test: str = "aecodec", anchor: str = "AVIF") -> dict:
    codecs = results["codecs"]
    for name in (test, anchor):
        if name not in codecs:
            raise SystemExit(f"no codec {name!r} in the results (have: {', '.join(codecs)})")
    rows = per_image(codecs[test]["points"], codecs[anchor]["points"])
    return {"test": test, "anchor": anchor,
            "pooled_bd_rate": (results.get("bd_rate", {}).get("psnr", {}).get(anchor, {}) or {})
            .get(test),
            "by_quality": rate_ratios(codecs[test]["points"], codecs[anchor]["points"]),
            "by_source": by_source(rows), "by_image": rows}


def write_markdown(res: dict, path: Path) -> None:
    t, a = res["test"], res["anchor"]
    lines = [f"# Where {t}'s rate gap to {a} lies", "",
             "Written by `python -m benchmarks.gap` from `results.json` in this folder.", ""]
    if res["pooled_bd_rate"]:
        lines += [f"Pooled BD-rate (the report's): **{res['pooled_bd_rate']['percent']:+.1f} %**.", ""]
    lines += [f"## By quality: {t}'s bits / {a}'s bits at the same PSNR", "",
              f"| setting | {t} bpp | PSNR | {a} bpp at that PSNR | ratio |", "|---|---:|---:|---:|---:|"]
    for r in res["by_quality"]:
        ab = "—" if r["anchor_bpp"] is None else f"{r['anchor_bpp']:.4f}"
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.3f}"
        lines.append(f"| {r['setting']} | {r['bpp']:.4f} | {r['psnr']:.2f} | {ab} | {ratio} |")
    lines += ["", f"## By image: each image's BD-rate vs {a}, grouped by source", "",
              "| source | images | median | mean | images ≤ 0 % |", "|---|---:|---:|---:|---:|"]
    for s, g in res["by_source"].items():
        lines.append(f"| {s} | {g['images']} | {g['median']:+.1f} % | {g['mean']:+.1f} % | "
                     f"{g['at_or_below_zero']} |")
    lines += ["", "| image | BD-rate | PSNR range |", "|---|---:|---|"]
    for r in sorted(res["by_image"], key=lambda r: -1e9 if r["percent"] is None else -r["percent"]):
        pct = "no overlap" if r["percent"] is None else f"{r['percent']:+.1f} %"
        rng = "—" if r["range"] is None else f"{r['range'][0]:.2f}–{r['range'][1]:.2f} dB"
        lines.append(f"| {r['image']} | {pct} | {rng} |")
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path, help="a folder holding results.json from benchmarks.rd")
    ap.add_argument("--test", default="aecodec", help="the codec whose gap is measured")
    ap.add_argument("--anchor", default="AVIF", help="the codec it is measured against")
    args = ap.parse_args(argv)
    src = args.folder / "results.json"
    if not src.is_file():
        raise SystemExit(f"{src} not found: run `python -m benchmarks.rd ... --out {args.folder}` first")
    res = analyse(json.loads(src.read_text()), args.test, args.anchor)
    (args.folder / "gap.json").write_text(json.dumps(res, indent=1) + "\n")
    write_markdown(res, args.folder / "gap.md")
    print((args.folder / "gap.md").read_text())


if __name__ == "__main__":
    main()
