"""Bad input is refused cleanly: typed errors, one-line CLI messages, no files left."""

import json
import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import aecodec
from aecodec import container
from aecodec.cli.main import main

from fuzzing import recrc, run as fuzz_run

HERE = Path(__file__).resolve().parent


def test_bounded_fuzz_reaches_past_the_checksum():
    counts = fuzz_run(200, seed=7)
    assert counts["untyped"] == 0, counts["examples"]
    assert counts["hangs"] == 0
    assert counts["typed_errors"] > 50 and counts["decoded"] > 0  # some mutants got past the CRC


@pytest.mark.slow
def test_long_fuzz_run():
    out = subprocess.run([sys.executable, str(HERE / "fuzzing.py"), "--cases", "10000", "--seed", "1"],
                         capture_output=True, text=True, timeout=3600)
    assert out.returncode == 0, out.stderr[-2000:]  # a crash would kill the worker
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    print("long fuzz:", counts)
    assert counts["tried"] == 10000 and counts["untyped"] == 0 and counts["hangs"] == 0


def test_every_sampled_bit_flip_is_detected(small_rgb):
    rng = np.random.default_rng(3)
    good = aecodec.encode(small_rgb, quality=90)  # q90: room for 200 payload positions
    assert len(good) >= 64 + 200
    # every header byte, then 200 distinct payload positions (drawn without replacement)
    payload = rng.choice(np.arange(64, len(good)), size=200, replace=False)
    positions = list(range(64)) + sorted(payload.tolist())
    for pos in positions:
        bad = bytearray(good)
        bad[pos] ^= 1 << int(rng.integers(8))
        with pytest.raises(aecodec.FormatError):
            aecodec.decode(bytes(bad))


def test_huge_header_fails_fast_without_allocating(small_file):
    body = bytearray(small_file[:-4])
    struct.pack_into("<II", body, 24, 100000, 100000)
    struct.pack_into("<I", body, 24 + 30, 1)
    import resource
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    with pytest.raises(aecodec.ImageTooLargeError):
        aecodec.decode(recrc(bytes(body) + b"\0\0\0\0"))
    assert time.perf_counter() - t < 0.5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024  # KiB


def _bad_inputs(good: bytes) -> dict[str, bytes]:
    """≥ 60 hand-made bad files of every kind the hardening issue lists."""
    bad: dict[str, bytes] = {"empty": b"", "png": b"\x89PNG\r\n\x1a\n" + bytes(100),
                             "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(100),
                             "text": b"hello world\n" * 10, "signature only": good[:8],
                             "appended byte": good + b"\0", "appended block": good + good[:100]}
    for n in (1, 4, 9, 12, 16, 19, 20, 30, 57, 60, 80, len(good) // 2, len(good) - 5, len(good) - 1):
        bad[f"truncated at {n}"] = good[:n]
    for pos in (0, 3, 8, 12, 20, 30, 40, 60, 70, 90, len(good) // 2, len(good) - 10, len(good) - 1):
        b = bytearray(good)
        b[pos] ^= 0x04
        bad[f"bit flip at {pos}"] = bytes(b)

    def field(name, off, fmt, value):
        b = bytearray(good[:-4])
        struct.pack_into(fmt, b, off, value)
        bad[name] = recrc(bytes(b) + b"\0\0\0\0")

    for v in (0, 2, 255):
        field(f"major version {v}", 8, "<B", v)
    assert good[10:12] == b"\x01\x00"  # 64×48: latents on the 16-pixel grid (FLAG_GRID16)
    for v in (0, 2, 3, 0x8000):  # 0: the tiles' y shapes no longer match the header
        field(f"flags {v:#x}", 10, "<H", v)
    field("width 0", 24, "<I", 0)
    field("height 0", 28, "<I", 0)
    field("width huge", 24, "<I", 2**31)
    b = bytearray(good[:-4])
    struct.pack_into("<II", b, 24, 100000, 100000)
    bad["100000x100000"] = recrc(bytes(b) + b"\0\0\0\0")
    field("channels 2", 32, "<B", 2)
    field("bit depth 16", 33, "<B", 16)
    field("unknown model id", 34, "<H", 4242)
    field("wrong digest", 36, "<Q", 0x1122334455667788)
    field("quality > 100", 44, "<H", 10001)
    field("tile width 0", 46, "<I", 0)
    field("tile width 100", 46, "<I", 100)
    field("tile count 2", 54, "<I", 2)
    field("HEAD length", 20, "<I", 35)
    t = good.find(b"TILE")
    field("TILE length overrun", t + 4, "<I", 2**31)
    field("TILE index 1", t + 8, "<I", 1)
    field("z channels", t + 12, "<H", 7)
    field("y height", t + 20, "<H", 999)
    field("y width", t + 22, "<H", 0)
    field("z length overrun", t + 24, "<I", 10**6)
    field("y length short", t + 28, "<I", 1)
    field("unknown critical tag", t, "<4s", b"TILX")
    field("HEAD renamed", 16, "<4s", b"head")
    field("invalid tag", t, "<4s", b"\x00\x01\x02\x03")
    for delta in (-8, 8):
        b = bytearray(good[:-4])
        struct.pack_into("<I", b, 12, len(good) + delta)
        bad[f"file length {delta:+d}"] = bytes(b) + struct.pack("<I", zlib.crc32(bytes(b)))
    c = container.parse(good)
    tile = c.tiles[0]
    bad["latent shape mismatch"] = container.pack(c.header, [replace(tile, y_shape=(192, 5, 5))])
    bad["two HEADs"] = recrc(good[:16] + good[16:16 + 42] + good[16:-4] + b"\0\0\0\0")
    bad["bad alpha chunk"] = container.pack(c.header, c.tiles, {b"alph": b"not zlib"})
    bad["short alpha chunk"] = container.pack(c.header, c.tiles, {b"alph": zlib.compress(b"\0" * 10)})
    return {k: v for k, v in bad.items() if v is not None}


def test_sixty_bad_inputs_through_the_cli(tmp_path, small_file, capsys):
    cases = _bad_inputs(small_file)
    assert len(cases) >= 60
    for i, (name, blob) in enumerate(cases.items()):
        d = tmp_path / f"case{i}"
        d.mkdir()
        src = d / "in.aec"
        src.write_bytes(blob)
        t = time.perf_counter()
        code = main(["decompress", str(src)])
        err = capsys.readouterr().err
        assert code == 1, name
        assert err.startswith("aecodec: error:") and err.count("\n") == 1, (name, err)
        assert sorted(p.name for p in d.iterdir()) == ["in.aec"], name
        assert time.perf_counter() - t < 10, name


def test_every_bad_input_raises_a_specific_subclass(small_file):
    for name, blob in _bad_inputs(small_file).items():
        with pytest.raises(aecodec.AecodecError) as exc:
            aecodec.decode(blob)
        assert type(exc.value) is not aecodec.AecodecError, name


def test_old_model_file_is_refused_naming_id_and_digest(small_file):
    retired = HERE / "data" / "retired"
    files = sorted(retired.glob("*.aec")) if retired.is_dir() else []
    c = container.parse(small_file)
    files_data = [f.read_bytes() for f in files] or [
        container.pack(replace(c.header, model_id=c.header.model_id, model_digest=b"\x99" * 8), c.tiles)]
    for data in files_data:
        h = aecodec.read_header(data)
        with pytest.raises(aecodec.ModelMismatchError) as exc:
            aecodec.decode(data)
        assert str(h.model_id) in str(exc.value) and h.model_digest.hex() in str(exc.value)


def test_sigint_during_a_long_encode_leaves_no_file(tmp_path):
    big = tmp_path / "big.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (2048, 2048, 3), dtype=np.uint8)).save(big, compress_level=1)
    out = tmp_path / "big.aec"
    # --effort 1 keeps the encoder busy for a minute, so the signal always lands mid-encode
    log = tmp_path.parent / f"{tmp_path.name}.stderr"  # outside tmp_path, whose listing is asserted
    with log.open("w") as stderr:
        # stderr to a file, not a pipe: waiting for the process, not for every holder of a pipe to close it
        proc = subprocess.Popen([sys.executable, "-m", "aecodec.cli.main", "compress", str(big), "-o", str(out),
                                 "--effort", "1"], stderr=stderr)
        time.sleep(4.0)  # imports done, encoding under way
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        finally:
            proc.kill()
    err = log.read_text()
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.png"]
