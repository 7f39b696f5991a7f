"""The ``.aec`` container, version 1.0 (normative spec: ``docs/container.md``).

This module only packs and parses bytes: it imports neither torch nor the
models, so reading a header is cheap. Parsing is strict and validates every
length and limit *before* anything large is allocated.

Layout (all integers little-endian)::

    offset  size  field
    0       8     signature  89 41 45 43 0D 0A 1A 0A   ("\\x89AEC\\r\\n\\x1a\\n")
    8       1     major version (1)
    9       1     minor version (0)
    10      2     flags (bit 0: latents on the 16-pixel grid; other bits are refused)
    12      4     file length in bytes, CRC included
    16      …     chunks: tag (4 ASCII) · payload length (u32) · payload
    L-4     4     CRC-32 (ISO-HDLC, as zlib.crc32) of bytes [0, L-4)
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

from .errors import (
    FormatError, ChecksumError, ImageTooLargeError, NotAecodecError, TruncatedError,
    UnsupportedVersionError,
)

SIGNATURE = b"\x89AEC\r\n\x1a\n"
MAJOR, MINOR = 1, 0
PREAMBLE = struct.Struct("<8sBBHI")  # signature, major, minor, flags, file length
CHUNK = struct.Struct("<4sI")
HEAD = struct.Struct("<IIBBH8sHIII")  # w, h, channels, depth, model id, digest, quality, tw, th, count
TILE = struct.Struct("<IHHHHHHII")  # index, z c/h/w, y c/h/w, z len, y len
CRC_SIZE = 4
#: Default limit on width × height, like Pillow's decompression-bomb guard.
DEFAULT_MAX_PIXELS = 200_000_000
#: Tile sides are multiples of this (the model's total stride).
TILE_UNIT = 64
#: Flag bit 0: each tile's latents cover it padded to a multiple of 16 pixels, not 64
#: (``docs/container.md`` §3.3); writers set it only where that changes a latent shape.
FLAG_GRID16 = 0x0001
KNOWN_FLAGS = FLAG_GRID16
MAX_SIDE = 2**20

#: Chunk registry. Critical tags (upper-case first letter) must be understood;
#: ancillary tags (lower-case first letter) may be skipped by readers that do
#: not know them. Tags are never reused for another meaning.
CHUNK_REGISTRY = {
    b"HEAD": "image and model header (critical, exactly one, first)",
    b"TILE": "entropy-coded latents of one tile (critical, one per tile, raster order)",
    b"alph": "alpha plane: zlib-compressed 8-bit samples, row-major (ancillary)",
    b"iccp": "ICC colour profile, raw bytes (ancillary)",
    b"exif": "EXIF metadata, raw TIFF-structured bytes without the 'Exif\\0\\0' prefix (ancillary)",
}


@dataclass(frozen=True)
class Header:
    """Everything a reader learns without running a model."""

    width: int
    height: int
    channels: int
    bit_depth: int
    model_id: int
    model_digest: bytes
    quality: float
    tile_width: int
    tile_height: int
    tile_count: int
    major: int = MAJOR
    minor: int = MINOR
    flags: int = 0
    file_size: int = 0
    chunks: tuple[tuple[str, int], ...] = ()  # (tag, payload length) in file order

    @property
    def tile_grid(self) -> tuple[int, int]:
        """(columns, rows) of the tile grid."""
        return -(-self.width // self.tile_width), -(-self.height // self.tile_height)

    @property
    def latent_grid(self) -> int:
        """Pixels each tile is padded to a multiple of before analysis: 16 or 64."""
        return 16 if self.flags & FLAG_GRID16 else TILE_UNIT

    @property
    def bpp(self) -> float:
        """Bits per pixel of the whole file."""
        return 8.0 * self.file_size / (self.width * self.height)


@dataclass(frozen=True)
class Tile:
    index: int
    z_shape: tuple[int, int, int]
    y_shape: tuple[int, int, int]
    z_bytes: bytes
    y_bytes: bytes


@dataclass
class Container:
    header: Header
    tiles: list[Tile]
    extras: dict[bytes, bytes] = field(default_factory=dict)  # ancillary chunks by tag


def quality_to_field(quality: float) -> int:
    """Quality as stored: hundredths, 0 … 10000."""
    return int(round(quality * 100))


def tile_count(width: int, height: int, tile_width: int, tile_height: int) -> int:
    return -(-width // tile_width) * -(-height // tile_height)


# -- writing ---------------------------------------------------------------
def pack(header: Header, tiles: list[Tile], extras: dict[bytes, bytes] | None = None) -> bytes:
    """Serialize a container; ``header.file_size`` and ``chunks`` are ignored."""
    if header.flags & ~KNOWN_FLAGS:
        raise ValueError(f"unknown flags 0x{header.flags:04x}")
    body = [_chunk(b"HEAD", HEAD.pack(
        header.width, header.height, header.channels, header.bit_depth, header.model_id,
        header.model_digest, quality_to_field(header.quality), header.tile_width,
        header.tile_height, header.tile_count))]
    for tag in sorted(extras or {}):
        if tag not in CHUNK_REGISTRY or tag[:1].isupper():
            raise ValueError(f"unregistered ancillary chunk {tag!r}")
        body.append(_chunk(tag, extras[tag]))
    for t in tiles:
        body.append(_chunk(b"TILE", TILE.pack(t.index, *t.z_shape, *t.y_shape, len(t.z_bytes),
                                              len(t.y_bytes)) + t.z_bytes + t.y_bytes))
    payload = b"".join(body)
    total = PREAMBLE.size + len(payload) + CRC_SIZE
    head = PREAMBLE.pack(SIGNATURE, MAJOR, MINOR, header.flags, total)
    data = head + payload
    return data + struct.pack("<I", zlib.crc32(data))


def _chunk(tag: bytes, payload: bytes) -> bytes:
    return CHUNK.pack(tag, len(payload)) + payload


# -- reading ---------------------------------------------------------------
def _check_preamble(data: bytes) -> tuple[int, int, int, int]:
    """Validate signature, version, flags, length and CRC; return (length, major, minor, flags)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FormatError(f"expected bytes, got {type(data).__name__}")
    n = len(data)
    if n == 0:
        raise TruncatedError("empty file: not an aecodec file")
    if data[:min(n, 8)] != SIGNATURE[:min(n, 8)]:
        raise NotAecodecError("not an aecodec file (signature does not match)")
    if n < PREAMBLE.size + CRC_SIZE:
        raise TruncatedError(f"file is truncated ({n} bytes, shorter than any aecodec file)")
    _, major, minor, flags, length = PREAMBLE.unpack_from(data, 0)
    if major != MAJOR:
        raise UnsupportedVersionError(
            f"file format version {major}.{minor} is not supported (this reader knows "
            f"{MAJOR}.x); upgrade aecodec")
    if flags & ~KNOWN_FLAGS:
        raise UnsupportedVersionError(f"file uses unknown flags 0x{flags & ~KNOWN_FLAGS:04x}; "
                                      f"upgrade aecodec")
    if n < length:
        raise TruncatedError(f"file is truncated: {n} of {length} bytes present")
    if n > length:
        raise FormatError(f"{n - length} unexpected bytes after the end of the file")
    stored = struct.unpack_from("<I", data, length - CRC_SIZE)[0]
    if zlib.crc32(data[:length - CRC_SIZE]) != stored:
        raise ChecksumError("checksum mismatch: the file is corrupted")
    return length, major, minor, flags


def _chunks(data: bytes, end: int):
    pos = PREAMBLE.size
    while pos < end:
        if pos + CHUNK.size > end:
            raise FormatError(f"chunk header at offset {pos} runs past the end of the data")
        tag, size = CHUNK.unpack_from(data, pos)
        start = pos + CHUNK.size
        if size > end - start:
            raise FormatError(f"chunk {tag!r} at offset {pos} claims {size} bytes, "
                              f"only {end - start} remain")
        yield tag, bytes(data[start:start + size])
        pos = start + size


def _valid_tag(tag: bytes) -> bool:
    """Tags are four ASCII letters or digits, the first a letter."""
    return tag[:1].isalpha() and all(c < 128 and (chr(c).isalnum()) for c in tag)


def _parse_head(payload: bytes, max_pixels: int) -> dict:
    if len(payload) != HEAD.size:
        raise FormatError(f"HEAD chunk has {len(payload)} bytes, expected {HEAD.size}")
    w, h, ch, depth, mid, digest, q, tw, th, count = HEAD.unpack(payload)
    if w == 0 or h == 0 or w > MAX_SIDE or h > MAX_SIDE:
        raise FormatError(f"invalid image size {w}×{h}")
    if w * h > max_pixels:
        raise ImageTooLargeError(f"image is {w}×{h} = {w * h} pixels, above the limit of "
                                 f"{max_pixels}; raise max_pixels if you trust this file")
    if ch not in (1, 3):
        raise FormatError(f"invalid channel count {ch} (1 or 3)")
    if depth != 8:
        raise FormatError(f"unsupported bit depth {depth} (8)")
    if q > 10000:
        raise FormatError(f"invalid quality field {q} (0 … 10000)")
    for side in (tw, th):
        if side == 0 or side % TILE_UNIT or side > MAX_SIDE:
            raise FormatError(f"invalid tile size {tw}×{th} (multiples of {TILE_UNIT})")
    if count != tile_count(w, h, tw, th):
        raise FormatError(f"tile count {count} does not match the {tw}×{th} grid of a {w}×{h} image")
    return dict(width=w, height=h, channels=ch, bit_depth=depth, model_id=mid,
                model_digest=digest, quality=q / 100, tile_width=tw, tile_height=th,
                tile_count=count)


def _parse_tile(payload: bytes, expected_index: int) -> Tile:
    if len(payload) < TILE.size:
        raise FormatError(f"TILE chunk has {len(payload)} bytes, fewer than its {TILE.size}-byte header")
    index, zc, zh, zw, yc, yh, yw, zlen, ylen = TILE.unpack_from(payload)
    if index != expected_index:
        raise FormatError(f"tile {index} found where tile {expected_index} was expected")
    if TILE.size + zlen + ylen != len(payload):
        raise FormatError(f"tile {index} stream lengths ({zlen} + {ylen}) do not match its chunk")
    z = payload[TILE.size:TILE.size + zlen]
    y = payload[TILE.size + zlen:]
    return Tile(index, (zc, zh, zw), (yc, yh, yw), z, y)


def parse(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Container:
    """Parse and validate a whole file. Raises a :class:`~aecodec.errors.FormatError`
    subclass (or :class:`~aecodec.errors.ImageTooLargeError`) on any defect."""
    length, major, minor, flags = _check_preamble(data)
    end = length - CRC_SIZE
    head: dict | None = None
    tiles: list[Tile] = []
    extras: dict[bytes, bytes] = {}
    listing: list[tuple[str, int]] = []
    for tag, payload in _chunks(data, end):
        listing.append((tag.decode("latin-1"), len(payload)))
        if head is None:
            if tag != b"HEAD":
                raise FormatError(f"first chunk is {tag!r}, expected HEAD")
            head = _parse_head(payload, max_pixels)
        elif tag == b"HEAD":
            raise FormatError("more than one HEAD chunk")
        elif tag == b"TILE":
            if len(tiles) >= head["tile_count"]:
                raise FormatError(f"more TILE chunks than the {head['tile_count']} declared")
            tiles.append(_parse_tile(payload, len(tiles)))
        elif tag in CHUNK_REGISTRY:
            if tiles:
                raise FormatError(f"ancillary chunk {tag!r} after the first TILE")
            if tag in extras:
                raise FormatError(f"duplicate chunk {tag!r}")
            extras[tag] = payload
        elif not _valid_tag(tag):
            raise FormatError(f"invalid chunk tag {tag!r}")
        elif tag[:1].isupper():
            raise FormatError(f"unknown critical chunk {tag!r}; upgrade aecodec")
        # else: an unknown ancillary chunk, skipped as the spec allows
    if head is None:
        raise FormatError("file has no HEAD chunk")
    if len(tiles) != head["tile_count"]:
        raise FormatError(f"file has {len(tiles)} TILE chunks, header declares {head['tile_count']}")
    header = Header(**head, major=major, minor=minor, flags=flags, file_size=length,
                    chunks=tuple(listing))
    return Container(header, tiles, extras)


def read_header(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Header:
    """Validate the file and return its :class:`Header` (no model work)."""
    return parse(data, max_pixels=max_pixels).header
