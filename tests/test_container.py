"""Byte-exact layout and strict parsing of the v1 container (no model work)."""

import struct
import time
import zlib

import pytest

from aecodec import container
from aecodec.container import Header, Tile
from aecodec.errors import (
    ChecksumError, FormatError, ImageTooLargeError, NotAecodecError, TruncatedError,
    UnsupportedVersionError,
)

DIGEST = bytes(range(8))


def make(width=100, height=70, tile=128, extras=None, channels=3, flags=0):
    count = container.tile_count(width, height, tile, tile)
    header = Header(width, height, channels, 8, 1, DIGEST, 62.5, tile, tile, count, flags=flags)
    tiles = [Tile(i, (128, 2, 2), (192, 8, 8), b"zz" * (i + 1), b"yyy") for i in range(count)]
    return container.pack(header, tiles, extras)


def with_crc(body: bytes) -> bytes:
    """Fix up length and CRC after editing a file body (CRC excluded)."""
    body = body[:12] + struct.pack("<I", len(body) + 4) + body[16:]
    return body + struct.pack("<I", zlib.crc32(body))


def test_byte_exact_layout():
    data = make()
    assert data[:8] == b"\x89AEC\r\n\x1a\n"
    assert data[8:10] == b"\x01\x00"  # major, minor
    assert data[10:12] == b"\x00\x00"  # flags
    assert struct.unpack_from("<I", data, 12)[0] == len(data)
    assert data[16:20] == b"HEAD" and struct.unpack_from("<I", data, 20)[0] == 34
    w, h, ch, depth, mid, digest, q, tw, th, count = struct.unpack_from("<IIBBH8sHIII", data, 24)
    assert (w, h, ch, depth, mid, digest, q, tw, th, count) == (100, 70, 3, 8, 1, DIGEST, 6250, 128, 128, 1)
    assert data[58:62] == b"TILE"
    tile_len = struct.unpack_from("<I", data, 62)[0]
    assert tile_len == 24 + 2 + 3
    assert struct.unpack_from("<IHHHHHHII", data, 66) == (0, 128, 2, 2, 192, 8, 8, 2, 3)
    assert data[90:92] == b"zz" and data[92:95] == b"yyy"
    assert struct.unpack_from("<I", data, len(data) - 4)[0] == zlib.crc32(data[:-4])
    assert len(data) == 95 + 4


def test_round_trip_and_header_fields():
    data = make(width=300, height=200, tile=128, extras={b"exif": b"EX", b"iccp": b"ICC"})
    c = container.parse(data)
    h = c.header
    assert (h.width, h.height, h.channels, h.quality, h.tile_count) == (300, 200, 3, 62.5, 6)
    assert h.tile_grid == (3, 2) and h.file_size == len(data)
    assert [t.z_bytes for t in c.tiles] == [b"zz" * (i + 1) for i in range(6)]
    assert c.extras == {b"exif": b"EX", b"iccp": b"ICC"}
    assert [t for t, _ in h.chunks] == ["HEAD", "exif", "iccp"] + ["TILE"] * 6
    assert h.bpp == pytest.approx(8 * len(data) / 60000)


def test_every_truncation_is_a_typed_error():
    data = make()
    for n in range(len(data)):
        with pytest.raises(FormatError) as exc:
            container.parse(data[:n])
        assert isinstance(exc.value, (TruncatedError, NotAecodecError)) or n >= 16


def test_truncation_after_preamble_says_truncated():
    data = make()
    for n in range(20, len(data)):
        with pytest.raises(TruncatedError):
            container.parse(data[:n])


def test_every_single_bit_flip_is_detected():
    data = make(extras={b"exif": b"x" * 20})
    for pos in range(len(data)):
        for bit in (0, 3, 7):
            bad = bytearray(data)
            bad[pos] ^= 1 << bit
            with pytest.raises(FormatError):
                container.parse(bytes(bad))


def test_appended_bytes_are_refused():
    with pytest.raises(FormatError, match="after the end"):
        container.parse(make() + b"\x00")


@pytest.mark.parametrize("blob", [b"", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, b"\xff\xd8\xff\xe0" + b"\0" * 40,
                                  b"hello, world\n" * 4])
def test_other_formats_are_refused(blob):
    with pytest.raises((NotAecodecError, TruncatedError)):
        container.parse(blob)


def test_unknown_major_version_and_flags():
    data = make()
    with pytest.raises(UnsupportedVersionError, match="2.0"):
        container.parse(with_crc(data[:8] + b"\x02" + data[9:-4]))
    for flags in (b"\x02\x00", b"\x00\x80", b"\x03\x00"):  # any bit but FLAG_GRID16
        with pytest.raises(UnsupportedVersionError, match="flags"):
            container.parse(with_crc(data[:10] + flags + data[12:-4]))


def test_grid16_flag_is_bit_0_of_the_flags_field_and_round_trips():
    plain = container.parse(make()).header
    assert (plain.flags, plain.latent_grid) == (0, 64)
    data = make(flags=container.FLAG_GRID16)
    assert data[10:12] == b"\x01\x00"
    assert container.parse(data).header.latent_grid == 16
    with pytest.raises(ValueError, match="unknown flags"):
        make(flags=0x0002)


def test_newer_minor_version_is_read():
    data = make()
    assert container.parse(with_crc(data[:9] + b"\x07" + data[10:-4])).header.minor == 7


def test_bad_checksum():
    data = bytearray(make())
    data[-1] ^= 0xFF
    with pytest.raises(ChecksumError):
        container.parse(bytes(data))


def test_huge_dimensions_fail_fast_and_small():
    data = make()
    body = bytearray(data[:-4])
    struct.pack_into("<II", body, 24, 100000, 100000)
    struct.pack_into("<I", body, 24 + 26, 1563 * 1563)  # a consistent tile count
    t = time.perf_counter()
    with pytest.raises(ImageTooLargeError):
        container.parse(with_crc(bytes(body[:]))[:len(body) + 4])
    assert time.perf_counter() - t < 1.0
    assert container.parse(make(), max_pixels=7000).header.width == 100
    with pytest.raises(ImageTooLargeError):
        container.parse(make(), max_pixels=6999)


def test_unknown_ancillary_chunk_is_skipped_and_critical_refused():
    data = make()
    head_end = 16 + 8 + 34
    anc = b"zzzz" + struct.pack("<I", 3) + b"abc"
    crit = b"ZZZZ" + struct.pack("<I", 3) + b"abc"
    ok = with_crc(data[:head_end] + anc + data[head_end:-4])
    assert container.parse(ok).header.chunks[1] == ("zzzz", 3)
    with pytest.raises(FormatError, match="critical"):
        container.parse(with_crc(data[:head_end] + crit + data[head_end:-4]))


def test_chunk_length_overrun_is_refused():
    data = bytearray(make()[:-4])
    struct.pack_into("<I", data, 62, 10**6)
    with pytest.raises(FormatError, match="claims"):
        container.parse(with_crc(bytes(data)))


def test_tile_count_mismatch_and_missing_head():
    data = make(width=300, height=200)
    body = data[:-4]
    last_tile = body.rindex(b"TILE")
    with pytest.raises(FormatError, match="5 TILE chunks, header declares 6"):
        container.parse(with_crc(body[:last_tile]))
    first_tile = body.index(b"TILE")
    size = struct.unpack_from("<I", body, first_tile + 4)[0]
    with pytest.raises(FormatError, match="tile 1 found where tile 0"):
        container.parse(with_crc(body[:first_tile] + body[first_tile + 8 + size:]))
    with pytest.raises(FormatError, match="HEAD"):
        container.parse(with_crc(body[:16] + body[16 + 8 + 34:]))
