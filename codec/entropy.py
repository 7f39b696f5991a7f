"""Entropy coding of integer symbols with shipped integer CDF tables.

This module knows tables and symbols, not files: it turns symbol arrays into
byte strings and back with CompressAI's rANS coder. Every input that decides
*how* a symbol is coded (the CDF table, its length and offset, and the table
index of each symbol) is an integer, so encoder and decoder agree bit for bit.

Tables are computed once at export (:func:`gaussian_tables`,
:func:`factorized_tables`) and stored with the weights; loading a model never
recomputes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from compressai.ans import RansDecoder, RansEncoder


class EntropyDecodeError(ValueError):
    """The stream does not decode to the expected number of symbols."""


@dataclass
class CdfTables:
    """Quantized CDFs (int32 rows), their lengths and offsets: one row per table index."""

    cdf: np.ndarray  # [T, L] int32
    length: np.ndarray  # [T] int32
    offset: np.ndarray  # [T] int32

    def __post_init__(self) -> None:
        self._lists = (
            [row[: int(n)].tolist() for row, n in zip(self.cdf, self.length)],
            self.length.astype(np.int64).tolist(),
            self.offset.astype(np.int64).tolist(),
        )

    @property
    def count(self) -> int:
        return int(self.cdf.shape[0])

    def encode(self, symbols: np.ndarray, indexes: np.ndarray) -> bytes:
        """Code int symbols, each with the table row given by ``indexes``."""
        cdfs, lengths, offsets = self._lists
        return RansEncoder().encode_with_indexes(
            symbols.astype(np.int32).ravel().tolist(), indexes.astype(np.int32).ravel().tolist(),
            cdfs, lengths, offsets)

    def bits(self, symbols: np.ndarray, indexes: np.ndarray) -> np.ndarray:
        """Information content (bits) of each symbol under its table row.

        Out-of-range symbols cost the escape symbol plus their bypass-coded
        magnitude (4-bit groups), as the rANS coder codes them.
        """
        idx = indexes.astype(np.int64)
        v = symbols.astype(np.int64) - self.offset.astype(np.int64)[idx]
        n = self.length.astype(np.int64)[idx] - 1  # number of in-range symbols + escape
        inside = (v >= 0) & (v < n - 1)
        col = np.where(inside, v, n - 1)  # escape symbol for values outside
        lo = self.cdf[idx, col].astype(np.float64)
        hi = self.cdf[idx, col + 1].astype(np.float64)
        bits = -np.log2(np.maximum(hi - lo, 1) / 65536.0)
        mag = np.where(v < 0, -2 * v - 1, 2 * (v - (n - 1)))
        extra = np.where(inside, 0.0, 4.0 * (np.ceil(np.log2(np.maximum(mag, 1) + 1) / 4) + 1))
        return bits + extra

    def decode(self, data: bytes, indexes: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`encode`; returns int64 symbols shaped like ``indexes``."""
        return self.stream(data).decode(indexes)

    def stream(self, data: bytes) -> "SymbolStream":
        """A decoder that reads the symbols of ``data`` in parts (see :class:`SymbolStream`)."""
        return SymbolStream(self, data)


class SymbolStream:
    """Decodes one coded stream in consecutive parts.

    A stream written by one :meth:`CdfTables.encode` call of ``a + b`` symbols
    decodes as ``decode(indexes_a)`` then ``decode(indexes_b)``: the second
    part's table indexes may depend on the first part's symbols (a context model).
    """

    def __init__(self, tables: CdfTables, data: bytes) -> None:
        self._tables = tables
        self._decoder = RansDecoder()
        self._decoder.set_stream(data)

    def decode(self, indexes: np.ndarray) -> np.ndarray:
        """The next ``indexes.size`` symbols, int64, shaped like ``indexes``."""
        cdfs, lengths, offsets = self._tables._lists
        values = self._decoder.decode_stream(indexes.astype(np.int32).ravel().tolist(),
                                             cdfs, lengths, offsets)
        if len(values) != indexes.size:
            raise EntropyDecodeError("entropy stream decoded to the wrong number of symbols")
        return np.asarray(values, dtype=np.int64).reshape(indexes.shape)


def gaussian_tables(scale_table: Tensor) -> CdfTables:
    """Quantized CDFs of the discretized Gaussian for each scale (export time only)."""
    from compressai.entropy_models import GaussianConditional

    gc = GaussianConditional(None)
    gc.update_scale_table(scale_table, force=True)
    return CdfTables(gc._quantized_cdf.numpy().astype(np.int32),
                     gc._cdf_length.numpy().astype(np.int32), gc._offset.numpy().astype(np.int32))


def factorized_tables(bottleneck) -> CdfTables:
    """Quantized CDFs of a trained ``EntropyBottleneck`` (export time only)."""
    bottleneck.update(force=True)
    return CdfTables(bottleneck._quantized_cdf.numpy().astype(np.int32),
                     bottleneck._cdf_length.numpy().astype(np.int32),
                     bottleneck._offset.numpy().astype(np.int32))
