"""Mutations of valid aecodec files for fuzzing ``decode``.

Half of the mutants get their length and CRC recomputed so they reach past the
checksum into the parser and the decoder. Mutations are field-aware (lengths,
dimensions, latent shapes, model id and digest, chunk tags, version, flags,
quality, tile sizes) as well as random bytes, truncations and insertions.

    python tests/fuzzing.py --cases 10000      # prints counts as JSON
"""

from __future__ import annotations

import json
import random
import signal
import struct
import sys
import time
import zlib

HEAD_AT = 24  # HEAD payload offset
FIELDS = {  # offset within the file → struct format (HEAD and the first TILE header)
    "width": (HEAD_AT + 0, "<I"), "height": (HEAD_AT + 4, "<I"), "channels": (HEAD_AT + 8, "<B"),
    "depth": (HEAD_AT + 9, "<B"), "model_id": (HEAD_AT + 10, "<H"), "digest": (HEAD_AT + 12, "<Q"),
    "quality": (HEAD_AT + 20, "<H"), "tile_w": (HEAD_AT + 22, "<I"), "tile_h": (HEAD_AT + 26, "<I"),
    "tile_count": (HEAD_AT + 30, "<I"), "version": (8, "<B"), "minor": (9, "<B"), "flags": (10, "<H"),
    "length": (12, "<I"), "head_len": (20, "<I"),
}
INTERESTING = [0, 1, 2, 3, 7, 8, 15, 16, 63, 64, 65, 127, 128, 255, 256, 1023, 1024, 4096, 65535,
               65536, 2**20, 2**24, 2**31 - 1, 2**31, 2**32 - 1]


def recrc(data: bytes) -> bytes:
    body = bytearray(data[:-4])
    if len(body) >= 16:
        struct.pack_into("<I", body, 12, len(body) + 4)
    return bytes(body) + struct.pack("<I", zlib.crc32(bytes(body)))


def _tile_fields(data: bytes) -> dict:
    i = data.find(b"TILE")
    if i < 0:
        return {}
    base = i + 8
    return {"tile_chunk_len": (i + 4, "<I"), "tile_index": (base, "<I"), "zc": (base + 4, "<H"),
            "zh": (base + 6, "<H"), "zw": (base + 8, "<H"), "yc": (base + 10, "<H"),
            "yh": (base + 12, "<H"), "yw": (base + 14, "<H"), "zlen": (base + 16, "<I"),
            "ylen": (base + 20, "<I")}


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One mutant of ``data``."""
    kind = rng.randrange(7)
    b = bytearray(data)
    if kind == 0:  # field-aware: set a header or tile field to an interesting value
        fields = {**FIELDS, **_tile_fields(data)}
        off, fmt = fields[rng.choice(sorted(fields))]
        size = struct.calcsize(fmt)
        value = rng.choice(INTERESTING) % (1 << (8 * size))
        if off + size <= len(b):
            struct.pack_into(fmt, b, off, value)
    elif kind == 1:  # random byte(s)
        for _ in range(rng.randrange(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == 2:  # single bit flip
        pos = rng.randrange(len(b))
        b[pos] ^= 1 << rng.randrange(8)
    elif kind == 3:  # truncate
        b = b[:rng.randrange(len(b))]
    elif kind == 4:  # insert or append bytes
        pos = rng.randrange(len(b) + 1)
        b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
    elif kind == 5:  # chunk tag
        for tag in (b"HEAD", b"TILE"):
            i = data.find(tag)
            if i >= 0 and rng.random() < 0.5:
                b[i:i + 4] = rng.choice([b"ZZZZ", b"zzzz", b"TILE", b"HEAD", b"alph", b"\x00\x00\x00\x00",
                                         b"exif"])
    else:  # overwrite a stream region with random bytes
        start = rng.randrange(HEAD_AT + 34, len(b))
        for j in range(start, min(len(b), start + rng.randrange(1, 32))):
            b[j] = rng.randrange(256)
    out = bytes(b)
    return recrc(out) if rng.random() < 0.5 and len(out) >= 20 else out


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def run(cases: int, seed: int = 0, per_case_seconds: int = 10) -> dict:
    import numpy as np

    import aecodec

    rng = random.Random(seed)
    base = [aecodec.encode(np.random.default_rng(s).integers(0, 256, (64, 64, 3), dtype=np.uint8),
                           quality=q) for s, q in ((0, 20), (1, 80))]
    counts = {"tried": 0, "typed_errors": 0, "decoded": 0, "untyped": 0, "hangs": 0}
    examples = []
    signal.signal(signal.SIGALRM, _alarm)
    for _ in range(cases):
        data = mutate(rng.choice(base), rng)
        counts["tried"] += 1
        signal.alarm(per_case_seconds)
        try:
            aecodec.decode(data)
            counts["decoded"] += 1
        except aecodec.AecodecError:
            counts["typed_errors"] += 1
        except Hang:
            counts["hangs"] += 1
        except Exception as exc:  # noqa: BLE001 - counting untyped exceptions is the point
            counts["untyped"] += 1
            if len(examples) < 5:
                examples.append(f"{type(exc).__name__}: {exc}")
        finally:
            signal.alarm(0)
    counts["examples"] = examples
    return counts


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("--cases", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    t = time.time()
    result = run(a.cases, a.seed)
    result["seconds"] = round(time.time() - t, 1)
    print(json.dumps(result))
    sys.exit(0)
