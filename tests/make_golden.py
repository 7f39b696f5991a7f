"""Regenerate the golden file from the shipped sample (run when the default model changes).

    python tests/make_golden.py

Writes ``tests/data/golden.aec`` and ``tests/data/golden.json`` (512×512: latents on
the 64-pixel grid), and ``tests/data/golden_grid16.{aec,json}`` from a 200×136 crop
of the sample, whose latents lie on the 16-pixel grid (``FLAG_GRID16``). Keep the
previous golden file first (DESIGN §4 model policy): if its model is still
shipped, as ``tests/data/golden_m<id>.{aec,json}`` (it must still decode to its
latents); if not, in ``tests/data/retired/`` as a refusal case.

What a golden record pins, and why: the decoded latents ŷ are exact integers on
every machine (integer hyper-synthesis and context), so their hash is compared
exactly. The synthesis ``g_s`` runs in float, and the float kernels differ
between CPUs (AVX2, AVX-512, AMX) and runs in bf16 only where the CPU has it,
so decoded pixels differ slightly from machine to machine (53 dB apart at worst
here); the record holds their PSNR against the source instead, compared within
a tenth of a dB (fp32 transforms, as on an AVX2 machine, decode 0.012 dB from
bf16 ones on AMX; AVX-512 kernels 0.0004 dB). The encoder is float too,
so re-encoding reproduces the file's bytes only on the machine that made it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from PIL import Image

import aecodec
from aecodec import container
from aecodec.models.codec_model import LatentStreams
from aecodec.models.loader import load_model

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLE = ROOT / "examples" / "astronaut.png"
#: A crop of the sample whose sides are not multiples of 64 (``tests/data/golden_grid64.*``
#: holds it as aecodec 0.26 wrote it, on the 64-pixel grid, which every later reader decodes).
CROP = HERE / "data" / "astronaut_200x136.png"
QUALITY = 75.0


def latents_sha256(data: bytes) -> str:
    """sha256 of every tile's exactly decoded ŷ (float64 on the 2**-8 grid), in tile order."""
    c = container.parse(data)
    model = load_model(c.header.model_id)
    digest = hashlib.sha256()
    for t in c.tiles:
        y_hat = model.decode_latents(LatentStreams(t.z_shape, t.y_shape, t.z_bytes, t.y_bytes))
        digest.update(y_hat.numpy().tobytes())
    return digest.hexdigest()


def psnr_to_source(data: bytes, source: Path) -> float:
    """PSNR (RGB, 8-bit) of the decoded file against the image it was made from."""
    ref = np.asarray(Image.open(source).convert("RGB"), dtype=np.float64)
    out = np.asarray(aecodec.decode(data), dtype=np.float64)
    return float(10 * np.log10(255.0**2 / np.mean((ref - out) ** 2)))


def record(data: bytes, source: Path = SAMPLE, quality: float = QUALITY) -> dict:
    """The golden record of one file: what any machine must reproduce when decoding it."""
    return {"source": source.relative_to(ROOT).as_posix(), "quality": quality,
            "file_sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "latents_sha256": latents_sha256(data),
            "psnr_db": round(psnr_to_source(data, source), 4),
            "model_id": aecodec.read_header(data).model_id}


def main() -> None:
    for name, source in (("golden", SAMPLE), ("golden_grid16", CROP)):
        data = aecodec.encode(source, quality=QUALITY)
        (HERE / "data" / f"{name}.aec").write_bytes(data)
        meta = record(data, source)
        (HERE / "data" / f"{name}.json").write_text(json.dumps(meta, indent=2) + "\n")
        print(name, json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
