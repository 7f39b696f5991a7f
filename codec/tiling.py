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
the file's *latent grid*, padded by repeating the last row and column.

The latent grid is :data:`~aecodec.models.STRIDE` (64 pixels: ``y`` a multiple
of 4 latents, ``z`` whole) unless the image's width or height would then carry
latents of pure padding; then it is :data:`~aecodec.models.Y_STRIDE` (16 pixels,
the container's ``FLAG_GRID16``): the last tiles' ``y`` covers them padded to a
multiple of 16 and their hyper-synthesis output is cropped to it, so no bits
are spent on latents the decoder crops away (:func:`latent_grid`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import STRIDE, Y_STRIDE


def padded(n: int, grid: int = STRIDE) -> int:
    """``n`` rounded up to a multiple of ``grid`` (default :data:`STRIDE`)."""
    return -(-n // grid) * grid


def latent_grid(width: int, height: int) -> int:
    """The latent grid a writer uses for a ``width × height`` image: 16 where padding
    to 64 would add latent rows or columns of padding alone, else 64 (the grid of
    files without ``FLAG_GRID16``, which every reader of format 1.0 decodes).

    >>> latent_grid(768, 512), latent_grid(481, 321), latent_grid(500, 375)
    (64, 16, 64)
    """
    return Y_STRIDE if any(padded(n, Y_STRIDE) != padded(n) for n in (width, height)) else STRIDE


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


def window(box: tuple[int, int, int, int], width: int, height: int, margin: int,
           grid: int = STRIDE) -> Window:
    """The window of the tile ``box`` of a ``width × height`` image for ``margin`` pixels,
    on the latent ``grid`` (:func:`latent_grid`).

    >>> window((256, 0, 512, 256), 768, 512, 64)
    Window(outer=(192, 0, 576, 320), inner=(64, 0, 320, 256))
    """
    if margin < 0 or margin % STRIDE:
        raise ValueError(f"margin must be a non-negative multiple of {STRIDE}, got {margin}")
    left, top, right, bottom = box
    if left % STRIDE or top % STRIDE:
        raise ValueError(f"tile box {box} does not start on the {STRIDE}-pixel grid")
    if grid not in (Y_STRIDE, STRIDE):
        raise ValueError(f"grid must be {Y_STRIDE} or {STRIDE}, got {grid}")
    right, bottom = padded(right, grid), padded(bottom, grid)
    outer = (max(0, left - margin), max(0, top - margin),
             min(padded(width, grid), right + margin), min(padded(height, grid), bottom + margin))
    return Window(outer, (left - outer[0], top - outer[1], right - outer[0], bottom - outer[1]))
