"""Shared by the small benchmarks: per-quality mean curves and writing results."""

from __future__ import annotations

import json
from typing import Callable
from pathlib import Path

import numpy as np

from .paths import RESULTS


def mean_curve(points: list[dict], qualities, fields: tuple[str, ...] = ("bpp", "psnr")) -> list[dict]:
    """Per quality, the mean of each field over the images (``points`` carry ``quality``)."""
    return [{"quality": q, **{f: float(np.mean([p[f] for p in points if p["quality"] == q]))
                              for f in fields}} for q in qualities]


def save(stem: str, res: dict, write_markdown: Callable[[dict, Path], None]) -> None:
    """Write ``results/<stem>.json`` and ``<stem>.md``, then print the Markdown."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(res, indent=1) + "\n")
    write_markdown(res, RESULTS / f"{stem}.md")
    print((RESULTS / f"{stem}.md").read_text())


def curve_table(curves: dict[str, list[dict]], qualities) -> list[str]:
    """Markdown rows: one per quality, ``bpp / PSNR`` of each curve."""
    lines = ["| quality | " + " | ".join(f"{k} bpp / PSNR" for k in curves) + " |",
             "|---:|" + "---:|" * len(curves)]
    for i, q in enumerate(qualities):
        cells = [f"{c[i]['bpp']:.4f} / {c[i]['psnr']:.3f}" for c in curves.values()]
        lines.append(f"| {q} | " + " | ".join(cells) + " |")
    return lines
