"""Anomaly ranking: how badly does the model fit each image of a folder?

Each image is coded at a fixed quality. Two per-image statistics come from the
codec itself:

* ``bits``: the 99th percentile of the bits-per-pixel-location map (where the
  entropy model was most surprised);
* ``error``: the 99th percentile of the per-pixel reconstruction error (where
  the decoder could not reproduce the input).

The **score** is the larger of the two statistics' robust z-scores within the
folder (``(log v − median) / (1.4826·MAD)``): an image is as anomalous as the
more surprised of the two halves of the codec — the entropy model (bits) or the
decoder (error). It ranks images by how unusual they are relative to their
neighbours; higher means more anomalous. Kinds that
are *easy* for the model (flat synthetic gradients, heavily block-compressed
photos) get low bits and low error and therefore rank as normal: a
reconstruction-based score does not flag them.

Each image's **peak** is where it surprises the entropy model most *relative to
itself*: the centre of the cell with the highest :func:`~aecodec.inspection.surprise_cells`
(ŷ bits per channel over that channel's median in the image, averaged over 3×3
cells), so a pasted foreign region stands out from the photo's own busy edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .pixels import IMAGE_SUFFIXES

DEFAULT_QUALITY = 50.0


@dataclass
class Scored:
    file: str
    bits_p99: float
    error_p99: float
    bpp: float
    peak: tuple[int, int]  # (row, col): centre of the most surprising cell (inspection.surprise_cells)
    score: float = 0.0


def measure(image, quality: float = DEFAULT_QUALITY) -> tuple[Scored, dict]:
    """Per-image statistics and maps (``bits``, ``error``) for one image."""
    from .inspection import report

    stats, maps = report(image, quality)
    bits, err = maps["bits"], maps["error"]
    peak = _peak(maps["surprise"], bits.shape)
    name = str(image) if isinstance(image, (str, Path)) else "<image>"
    return Scored(name, float(np.percentile(bits, 99)), float(np.percentile(err, 99)),
                  stats["bpp"], (int(peak[0]), int(peak[1]))), maps


def _peak(cells: np.ndarray, shape: tuple[int, int]) -> tuple[int, int]:
    """``(row, col)`` in pixels of the centre of the highest 16×16 cell of ``cells``,
    clamped into an image of ``shape`` (H, W)."""
    r, c = np.unravel_index(int(np.argmax(cells)), cells.shape)
    return min(int(r) * 16 + 8, shape[0] - 1), min(int(c) * 16 + 8, shape[1] - 1)


def _robust_z(values: np.ndarray) -> np.ndarray:
    logs = np.log(np.maximum(values, 1e-6))
    med = np.median(logs)
    mad = np.median(np.abs(logs - med)) * 1.4826
    return (logs - med) / (mad if mad > 1e-9 else 1.0)


def score(items: list[Scored]) -> list[Scored]:
    """Fill in ``score`` (max of the robust z of bits and of error) and sort, most anomalous first."""
    if not items:
        return items
    z = np.maximum(_robust_z(np.array([i.bits_p99 for i in items])),
                   _robust_z(np.array([i.error_p99 for i in items])))
    for item, s in zip(items, z):
        item.score = float(s)
    return sorted(items, key=lambda i: (-i.score, i.file))


def list_folder(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def write_report(ranked: list[Scored], maps: dict[str, dict], out: Path, top: int) -> None:
    """A Markdown page with thumbnails and heat maps of the ``top`` images."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    assets = out.parent / (out.stem + "_files")
    assets.mkdir(parents=True, exist_ok=True)
    lines = ["# aecodec anomaly report", "",
             "Score = max(robust z of the 99th pct of the bits map, robust z of the 99th pct of the "
             "error map); higher is more anomalous. The red circle marks the peak: the most "
             "surprising place for this image (bits relative to the image's own per-channel median).", "", "| rank | file | score | bpp | bits p99 | error p99 | maps |",
             "|---:|---|---:|---:|---:|---:|---|"]
    for rank, item in enumerate(ranked[:top], 1):
        m = maps[item.file]
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
        for ax, (title, img, cmap) in zip(axes, (("image", m["original"], None),
                                                 ("bits per location", m["bits"], "viridis"),
                                                 ("abs. error", m["error"], "magma"))):
            shown = ax.imshow(img, cmap=cmap)
            ax.set_title(title)
            ax.axis("off")
            if cmap:
                fig.colorbar(shown, ax=ax, fraction=0.046)
        axes[1].plot(item.peak[1], item.peak[0], "o", mfc="none", mec="red", ms=14, mew=2)
        fig.tight_layout()
        png = assets / f"{rank:03d}.png"
        fig.savefig(png, dpi=70)
        plt.close(fig)
        lines.append(f"| {rank} | {Path(item.file).name} | {item.score:.2f} | {item.bpp:.3f} | "
                     f"{item.bits_p99:.2f} | {item.error_p99:.1f} | ![]({assets.name}/{png.name}) |")
    out.write_text("\n".join(lines) + "\n")
