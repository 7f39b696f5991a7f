"""Peak memory of the command line on large photos: 1, 6, 24 and 50 megapixels.

    python -m benchmarks.memory [--sizes 1,6,24,50] [--quality 60]

Each test photo is a mosaic of Kodak images upscaled ×2 (Lanczos) to the
target size, written as PNG. ``aecodec compress -q Q`` and ``aecodec
decompress`` each run in a fresh process whose own peak resident memory
(``ru_maxrss``) is reported, with wall time and the PSNR of the round trip.
Writes ``benchmarks/results/memory.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from .metrics import psnr
from .paths import RESULTS, kodak_dir

SIDES = {1: (1216, 832), 6: (3008, 2016), 24: (6016, 4000), 50: (8704, 5760)}


def make_photo(megapixels: int, path: Path) -> tuple[int, int]:
    w, h = SIDES[megapixels]
    tiles = sorted(kodak_dir().glob("*.png"))
    canvas = Image.new("RGB", (w, h))
    i = 0
    for y in range(0, h, 1024):
        for x in range(0, w, 1536):
            with Image.open(tiles[i % len(tiles)]) as im:
                im = im.convert("RGB")
                if im.width < im.height:
                    im = im.rotate(90, expand=True)
                canvas.paste(im.resize((1536, 1024), Image.LANCZOS), (x, y))
            i += 1
    canvas.save(path, compress_level=1)
    return w, h


def child(argv: list[str]) -> None:
    """Run the CLI in this process and print its peak memory (MiB) as JSON."""
    from aecodec.cli.main import main as cli

    t = time.perf_counter()
    code = cli(argv)
    print(json.dumps({"code": code, "seconds": time.perf_counter() - t,
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def _run(argv: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.memory", "--child", *argv],
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    p = argparse.ArgumentParser(description="Peak memory on large photos")
    p.add_argument("--sizes", default="1,6,24,50")
    p.add_argument("--quality", type=float, default=60.0)
    a = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mp in [int(s) for s in a.sizes.split(",")]:
            src = Path(tmp) / f"photo{mp}.png"
            w, h = make_photo(mp, src)
            enc = _run(["compress", str(src), "-q", str(a.quality), "-o", str(src.with_suffix(".aec"))])
            dec = _run(["decompress", str(src.with_suffix(".aec")), "-o", str(Path(tmp) / f"out{mp}.png")])
            with Image.open(src) as i1, Image.open(Path(tmp) / f"out{mp}.png") as i2:
                quality = psnr(np.asarray(i1.convert("RGB")), np.asarray(i2.convert("RGB")))
            size = src.with_suffix(".aec").stat().st_size
            rows.append({"megapixels": round(w * h / 1e6, 2), "width": w, "height": h,
                         "encode_peak_mib": round(enc["peak_mib"]), "decode_peak_mib": round(dec["peak_mib"]),
                         "encode_s": round(enc["seconds"], 1), "decode_s": round(dec["seconds"], 1),
                         "bpp": round(8 * size / (w * h), 4), "psnr": round(quality, 2)})
            print(rows[-1], flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    import aecodec
    model = aecodec.MODELS[aecodec.DEFAULT_MODEL_ID]
    res = {"command": "python -m benchmarks.memory " + " ".join(argv or sys.argv[1:]),
           "quality": a.quality, "model_sha256": model.sha256, "rows": rows}
    (RESULTS / "memory.json").write_text(json.dumps(res, indent=1) + "\n")
    lines = ["# Memory on large photos", "", f"`{res['command']}`: `aecodec compress -q {a.quality:g}` "
             "and `aecodec decompress`, each in a fresh process (peak `ru_maxrss`); photos are mosaics "
             "of Kodak images upscaled ×2. Wall times include PNG reading/writing "
             "and model loading: they are not speed figures (see speed.md). Model weights sha256 "
             f"`{model.sha256[:16]}…`.", "",
             "| MP | size | encode peak MiB | decode peak MiB | encode s | decode s | bpp | PSNR dB |",
             "|---:|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['megapixels']} | {r['width']}×{r['height']} | {r['encode_peak_mib']} | "
              f"{r['decode_peak_mib']} | {r['encode_s']} | {r['decode_s']} | {r['bpp']} | {r['psnr']} |"
              for r in rows]
    (RESULTS / "memory.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
