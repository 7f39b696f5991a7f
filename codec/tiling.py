"""The tile grid, and the windows the transforms see around each tile.

Every tile is entropy-coded on its own (its own ``z`` and ``ŷ`` streams), which
bounds memory and lets a damaged tile be reported by index. With a *margin*
the transforms still look across tile borders, so no seam shows:

* the analysis ``g_a`` runs on the tile plus ``margin`` pixels of the
  neighbouring image on each side and keeps the tile's own latents;
* the synthesis ``g_s`` runs on the tile's ŷ plus ``margin / 16`` latent rows
  and columns of the neighbouring tiles' ŷ and keeps the tile's own pixels.

A margin of 64 pixels (4 latent positions) covers the receptive fields of both
transforms (61 pixels for ``g_a``, under 3 latent positions for ``g_s``), so
the transforms compute what they would on the whole image. Residual blocks
(``aecodec train --residual-blocks 3``) widen them to 66 pixels and 4 latent
positions, so such models use 128 (each model's margin is in the registry;
``tests/test_tiling.py`` measures the fields against it). The hyperprior
still runs per tile: its means and scales, hence ŷ, differ slightly from
whole-image coding, which costs a few bits but shows no seam
(``python -m benchmarks.tiling``). Margin 0 codes tiles independently
(model 1's rule). Windows stay inside the image padded to a multiple of
:data:`~aecodec.models.STRIDE`, padded by repeating the last row and column.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import STRIDE, Y_STRIDE


def padded(n: int) -> int:
    """``n`` rounded up to a multiple of :data:`STRIDE`."""
    return -(-n // STRIDE) * STRIDE


def tile_boxes(width: int, height: int, tile_w: int, tile_h: int) -> list[tuple[int, int, int, int]]:
    """Tile boxes ``(left, top, right, bottom)`` in raster order."""
    return [(x, y, min(x + tile_w, width), min(y + tile_h, height))
            for y in range(0, height, tile_h) for x in range(0, width, tile_w)]


@dataclass(frozen=True)
class Window:
    """Where a tile's transforms run, in pixels of the padded image.

    ``outer`` is the window ``(left, top, right, bottom)``; ``inner`` is the
    tile's padded box relative to the window's corner. Both are multiples of
    :data:`Y_STRIDE`, so ``outer // 16`` and ``inner // 16`` address latents.
    """

    outer: tuple[int, int, int, int]
    inner: tuple[int, int, int, int]

    def latent_slices(self, which: str) -> tuple[slice, slice]:
        """``(rows, cols)`` slices at latent resolution of the ``outer`` or ``inner`` box."""
        if which not in ("outer", "inner"):
            raise ValueError(f"which must be 'outer' or 'inner', got {which!r}")
        left, top, right, bottom = self.outer if which == "outer" else self.inner
        return slice(top // Y_STRIDE, bottom // Y_STRIDE), slice(left // Y_STRIDE, right // Y_STRIDE)


def window(box: tuple[int, int, int, int], width: int, height: int, margin: int) -> Window:
    """The window of the tile ``box`` of a ``width × height`` image for ``margin`` pixels.

    >>> window((256, 0, 512, 256), 768, 512, 64)
    Window(outer=(192, 0, 576, 320), inner=(64, 0, 320, 256))
    """
    if margin < 0 or margin % STRIDE:
        raise ValueError(f"margin must be a non-negative multiple of {STRIDE}, got {margin}")
    left, top, right, bottom = box
    if left % STRIDE or top % STRIDE:
        raise ValueError(f"tile box {box} does not start on the {STRIDE}-pixel grid")
    right, bottom = padded(right), padded(bottom)
    outer = (max(0, left - margin), max(0, top - margin),
             min(padded(width), right + margin), min(padded(height), bottom + margin))
    return Window(outer, (left - outer[0], top - outer[1], right - outer[0], bottom - outer[1]))
