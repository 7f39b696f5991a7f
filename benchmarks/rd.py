"""Rate–distortion benchmark: aecodec against classic codecs, measured in one run.

    python -m benchmarks.rd [--data DIR] [--out DIR] [--codecs aecodec,jpeg,...] [--limit N] [--every N]

Every codec codes the same images at the fixed sweep of DESIGN §7. Rate is
8 × whole-file bytes / pixels; distortion is PSNR over RGB (and MS-SSIM) of the
decoded 8-bit image. Only pixels are coded: the images are loaded without
their metadata, because codecs differ in what they carry (aecodec keeps ICC
profiles and EXIF, AVIF the ICC profile, JPEG XL the EXIF; JPEG, WebP and
JPEG 2000 nothing), and a 3 KB profile is 0.15 bpp of a 500×340 photo.

Writes ``results.json`` (with provenance), ``report.md`` and
``rd.png``/``rd.svg`` to ``--out`` (default ``benchmarks/results/kodak``),
and prints BD-rates. On Kodak, published curves from ``../shared/anchors/kodak``
are tabulated and drawn beside the measured ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from aecodec.training.machine import cpu_name

from .bdrate import NoOverlapError, bd_rate
from .codecs import ALL, Codec
from .metrics import ms_ssim, ms_ssim_db, psnr
from .paths import REPO_ROOT, RESULTS, anchors_dir, kodak_dir

PUBLISHED = {  # anchor file stem → label
    "vtm": "VTM (published)", "bpg_444_x265_ycbcr": "BPG 4:4:4 (published)",
    "av1": "AV1 (published)", "hm": "HM (published)",
    "compressai-mbt2018-mean_mse_cuda": "mbt2018-mean (published)",
    "compressai-bmshj2018-hyperprior_mse_cuda": "bmshj2018-hyperprior (published)",
    "compressai-cheng2020-anchor_mse_cuda": "cheng2020-anchor (published)",
    "paper-elic2022_mse": "ELIC (published)", "dcae2025_RD_data_from_repo": "DCAE (published)",
}


def load_images(folder: Path, limit: int | None = None,
                manifest: Path | None = None, every: int = 1) -> list[tuple[str, Image.Image]]:
    """``(name, RGB image)`` for the images of ``folder``, or for the relative paths
    listed in ``manifest`` (one per line, ``#`` comments), sorted; every ``every``-th
    of them from the first, then the first ``limit``. Metadata (ICC profile, EXIF) is
    dropped: every codec codes the same bare pixels and is charged for them alone."""
    if manifest is not None:
        names = [l.strip() for l in Path(manifest).read_text().splitlines()
                 if l.strip() and not l.startswith("#")]
        files = [Path(folder) / n for n in sorted(names)]
    else:
        files = sorted(p for p in Path(folder).iterdir()
                       if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".ppm"))
    if not files:
        raise SystemExit(f"no images in {folder}; set --data or AECODEC_DATA")
    files = files[::every]
    files = files[:limit] if limit else files
    out = []
    for p in files:
        with Image.open(p) as im:
            out.append((p.relative_to(folder).as_posix(), Image.fromarray(np.asarray(im.convert("RGB")))))
    return out


def measure(codec: Codec, images, progress) -> dict:
    """Per-image and averaged points of one codec over its sweep."""
    points = []
    for setting in codec.settings:
        per_image = []
        for name, image in images:
            start = time.perf_counter()
            size, decoded = codec.code(image, setting)
            seconds = time.perf_counter() - start
            ref = np.asarray(image)
            ms = ms_ssim(ref, decoded)
            per_image.append({"image": name, "bytes": size,
                              "bpp": 8.0 * size / (image.width * image.height),
                              "psnr": psnr(ref, decoded), "ms_ssim": ms,
                              "seconds": round(seconds, 4)})  # encode + decode, wall clock
            progress.update(1)
        points.append({
            "setting": setting,
            "bpp": float(np.mean([r["bpp"] for r in per_image])),
            "psnr": float(np.mean([r["psnr"] for r in per_image])),
            "ms_ssim": float(np.mean([r["ms_ssim"] for r in per_image])),
            "images": per_image,
        })
    return {"name": codec.name, "setting_name": codec.setting_name, "points": points}


def load_published(folder: Path) -> dict[str, dict]:
    curves = {}
    for stem, label in PUBLISHED.items():
        f = folder / f"{stem}.json"
        if not f.exists():
            continue
        doc = json.loads(f.read_text())
        if "results" in doc:
            r = doc["results"]
        else:  # DCAE's RD_data.json layout
            r = {"bpp": doc["Kodak"]["bpp"], "psnr-rgb": doc["Kodak"]["PSNR"]}
        ms = r.get("ms-ssim-rgb") or []
        curves[label] = {"name": label, "published": True, "points": [
            {"bpp": b, "psnr": p, "ms_ssim": (ms[i] if i < len(ms) else None)}
            for i, (b, p) in enumerate(zip(r["bpp"], r["psnr-rgb"]))]}
    return curves


def _bd(anchor: dict, test: dict, metric: str) -> dict | None:
    def xy(curve):
        pts = [p for p in curve["points"] if p.get(metric) is not None]
        q = [p[metric] if metric == "psnr" else ms_ssim_db(p[metric]) for p in pts]
        return [p["bpp"] for p in pts], q
    try:
        res = bd_rate(*xy(anchor), *xy(test))
    except (NoOverlapError, ValueError):
        return None
    return {"percent": round(res.percent, 2), "range": [round(res.low, 3), round(res.high, 3)]}


def bd_tables(curves: dict[str, dict]) -> dict:
    """BD-rate (PSNR and MS-SSIM dB) of every curve against every other."""
    out: dict = {"psnr": {}, "ms_ssim_db": {}}
    for metric, key in (("psnr", "psnr"), ("ms_ssim", "ms_ssim_db")):
        for a in curves:
            out[key][a] = {t: _bd(curves[a], curves[t], metric) for t in curves if t != a}
    return out


def provenance(threads: int) -> dict:
    def pkg(name):
        try:
            from importlib.metadata import version
            return version(name)
        except Exception:
            return None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
    except OSError:
        commit = None
    cpu = cpu_name()
    return {"git_commit": commit, "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(), "cpu": cpu, "threads": threads,
            "packages": {p: pkg(p) for p in ("aecodec", "torch", "compressai", "pillow", "numpy",
                                             "pytorch-msssim", "scipy", "pillow-jxl-plugin")}}


def write_report(results: dict, out: Path) -> None:
    measured = results["codecs"]
    lines = ["# Rate–distortion report", "",
             f"Data: `{results['data']}` ({results['images']} images). Rate = whole-file bytes; "
             "distortion = PSNR-RGB / MS-SSIM of the decoded 8-bit image. BD-rate: pchip of "
             "log-rate over the overlapping quality range (negative = fewer bits).", "",
             f"Generated by `{results['command']}` at commit `{results['provenance']['git_commit']}` "
             f"on {results['provenance']['cpu']} ({results['provenance']['threads']} threads), "
             f"{results['provenance']['date']}.", "", "## Measured points (averages over images)", ""]
    for c in measured.values():
        lines += [f"### {c['name']}", "", f"| {c['setting_name']} | bpp | PSNR (dB) | MS-SSIM |",
                  "|---:|---:|---:|---:|"]
        lines += [f"| {p['setting']:g} | {p['bpp']:.4f} | {p['psnr']:.3f} | {p['ms_ssim']:.5f} |"
                  for p in c["points"]]
        lines.append("")
    for key, title in (("psnr", "PSNR"), ("ms_ssim_db", "MS-SSIM (dB)")):
        table = results["bd_rate"][key]
        if "aecodec" not in table:
            continue
        lines += [f"## BD-rate of aecodec ({title})", "",
                  "| anchor | BD-rate of aecodec | quality range integrated |", "|---|---:|---|"]
        for anchor, rows in table.items():
            if anchor == "aecodec":
                continue
            r = table[anchor].get("aecodec")
            cell = "no overlap" if r is None else f"{r['percent']:+.2f} %"
            rng = "" if r is None else f"{r['range'][0]:.2f}–{r['range'][1]:.2f}"
            lines.append(f"| {anchor} | {cell} | {rng} |")
        lines.append("")
    lines += ["## BD-rate matrix (PSNR): row = anchor, column = tested codec", ""]
    names = list(results["bd_rate"]["psnr"])
    lines.append("| anchor \\ test | " + " | ".join(names) + " |")
    lines.append("|---|" + "---:|" * len(names))
    for a in names:
        cells = []
        for t in names:
            r = results["bd_rate"]["psnr"][a].get(t)
            cells.append("—" if a == t else ("n/o" if r is None else f"{r['percent']:+.1f}%"))
        lines.append(f"| {a} | " + " | ".join(cells) + " |")
    lines += ["", "n/o: the curves do not overlap in PSNR.", ""]
    (out / "report.md").write_text("\n".join(lines))


def plot(results: dict, out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 6))
    curves = {**results["codecs"], **results.get("published", {})}
    for name, c in curves.items():
        pts = c["points"]
        pub = c.get("published", False)
        style = dict(linestyle="--", marker=None, alpha=0.7, linewidth=1.2) if pub else \
            dict(linestyle="-", marker="o", markersize=4, linewidth=2.2 if name == "aecodec" else 1.5)
        bpp = [p["bpp"] for p in pts]
        ax1.plot(bpp, [p["psnr"] for p in pts], label=name, **style)
        ms = [(p["bpp"], ms_ssim_db(p["ms_ssim"])) for p in pts if p.get("ms_ssim")]
        if ms:
            ax2.plot(*zip(*ms), label=name, **style)
    for ax, ylabel in ((ax1, "PSNR-RGB (dB)"), (ax2, "MS-SSIM (dB) = −10·log10(1 − MS-SSIM)")):
        ax.set_xlabel("bits per pixel (whole file)")
        ax.set_ylabel(ylabel)
        ax.set_xlim(0, 2.5)
        ax.grid(True, alpha=0.3)
    ax1.set_title(f"{results['data_name']}: rate vs PSNR (solid = measured here, dashed = published)")
    ax2.set_title("rate vs MS-SSIM")
    ax1.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "rd.png", dpi=110)
    fig.savefig(out / "rd.svg")
    plt.close(fig)


def run(data: Path, out: Path, codecs: list[str], limit: int | None = None,
        command: str = "python -m benchmarks.rd", published: bool = True,
        manifest: Path | None = None, every: int = 1) -> dict:
    import torch
    from tqdm import tqdm

    images = load_images(data, limit, manifest, every)
    out.mkdir(parents=True, exist_ok=True)
    chosen = [ALL[c] for c in codecs]
    total = sum(len(c.settings) for c in chosen) * len(images)
    measured = {}
    with tqdm(total=total, desc="rd", unit="code", disable=not sys.stderr.isatty()) as bar:
        for codec in chosen:
            bar.set_postfix_str(codec.name)
            measured[codec.name if codec.name != "aecodec" else "aecodec"] = measure(codec, images, bar)
    whole_kodak = data.name == "kodak" and not manifest and every == 1 and not limit
    pub = load_published(anchors_dir()) if published and whole_kodak else {}  # 24-image averages
    name = f"{data.name} ({Path(manifest).stem})" if manifest else data.name
    name += f", every {every}th image" if every > 1 else ""
    results = {"command": command, "data": str(data), "data_name": name,
               "images": len(images), "metadata": "dropped",  # see load_images
               "provenance": provenance(torch.get_num_threads()),
               "codecs": measured, "published": pub,
               "bd_rate": bd_tables({**measured, **pub})}
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    write_report(results, out)
    try:
        plot(results, out)
    except ImportError:
        print("matplotlib not installed: no plot written", file=sys.stderr)
    return results


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=None, help="image folder (default: Kodak)")
    p.add_argument("--out", type=Path, default=None, help="output folder")
    p.add_argument("--codecs", default="aecodec,jpeg,webp,avif,jpeg2000,jxl")
    p.add_argument("--limit", type=int, default=None, help="use only the first N images")
    p.add_argument("--every", type=int, default=1,
                   help="use every N-th image of the sorted list (a spread-out subsample)")
    p.add_argument("--manifest", type=Path, default=None,
                   help="code only the files listed (paths relative to --data), e.g. benchmarks/heldout.txt")
    a = p.parse_args(argv)
    data = a.data or kodak_dir()
    if not data.is_dir():
        raise SystemExit(f"data folder {data} not found; pass --data or set AECODEC_DATA")
    out = a.out or (RESULTS / (a.manifest.stem if a.manifest else data.name))
    cmd = "python -m benchmarks.rd " + " ".join(argv if argv is not None else sys.argv[1:])
    if a.every < 1:
        raise SystemExit("--every must be at least 1")
    results = run(data, out, [c.strip() for c in a.codecs.split(",")], a.limit, cmd.strip(),
                  manifest=a.manifest, every=a.every)
    bd = results["bd_rate"]["psnr"]
    for name in (n for n in results["codecs"] if n.startswith("aecodec")):
        for anchor in bd:
            r = bd[anchor].get(name)
            if r is not None:
                print(f"BD-rate (PSNR) of {name} vs {anchor}: {r['percent']:+.2f} % "
                      f"over {r['range'][0]:.2f}–{r['range'][1]:.2f} dB")
    print(f"wrote {out}/report.md, results.json, rd.png")


if __name__ == "__main__":
    main()
