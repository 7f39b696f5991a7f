"""Regenerate the golden file from the shipped sample (run when the default model changes).

    python tests/make_golden.py

Writes ``tests/data/golden.aec`` and ``tests/data/golden.json`` (pixel hash).
Keep the previous golden file first (DESIGN §4 model policy): if its model is
still shipped, as ``tests/data/golden_m<id>.{aec,json}`` (it must still decode to
its pixels); if not, in ``tests/data/retired/`` as a refusal case.
"""

import hashlib
import json
from pathlib import Path

import numpy as np

import aecodec

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "examples" / "astronaut.png"
QUALITY = 75.0


def main() -> None:
    data = aecodec.encode(SAMPLE, quality=QUALITY)
    pixels = np.asarray(aecodec.decode(data))
    (HERE / "data" / "golden.aec").write_bytes(data)
    meta = {"source": "examples/astronaut.png", "quality": QUALITY,
            "file_sha256": hashlib.sha256(data).hexdigest(),
            "pixels_sha256": hashlib.sha256(pixels.tobytes()).hexdigest(),
            "model_id": aecodec.read_header(data).model_id}
    (HERE / "data" / "golden.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
