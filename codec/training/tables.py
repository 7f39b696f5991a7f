"""Fit the latents' CDF tables to the symbols a trained model really produces.

An export codes each latent symbol with the discretised Gaussian of its
predicted scale, rounded up to one of 64 table scales (CompressAI's table,
:data:`~aecodec.training.export.SCALE_TABLE`). Both are approximations: the
table's steps are 13 % apart, and the latents given their predicted scale are
not exactly Gaussian. This stage keeps every weight of a shipped model and
replaces only its ``y.*`` tensors:

* a finer table (``rows`` log-spaced scales over the same 0.11 … 256), each
  predicted scale taking the row nearest in log-scale;
* each row's probabilities are the symbol counts of that row, measured by
  coding photos of the training folder (never its held-out tenth) at
  qualities across the range, blended with the row's Gaussian as a prior
  worth ``prior_weight`` symbols (chosen by coding half of the photos' counts
  with tables fitted on the other half);
* each row keeps the Gaussian row's support and escape symbol, so any symbol
  still codes (out-of-range ones through the escape, as before).

Decoding reads the tables from the weights file as for every model: the
decoder does not change, the result ships under a new model id.

    python -m aecodec.training.tables codec/weights/aec_m27.safetensors \\
        runs/aec_m28.safetensors --data ../shared/data/train
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load, save

from ..entropy import CdfTables, gaussian_tables
from ..models.fixed_point import ACT_BITS
from ..models.hyperprior import SCALE_MIN
from ..models.loader import model_from_bytes
from .data import centre_crop, list_images, split

#: Qualities whose symbols are counted (evenly across the range).
FIT_QUALITIES = (5, 25, 50, 75, 95)
#: Prior weights (in symbols) tried for each row's Gaussian.
PRIOR_WEIGHTS = (100.0, 1000.0, 10000.0, 100000.0)
#: Precision of the coder's CDFs (CompressAI's rANS).
CDF_BITS = 16


def scale_table(rows: int) -> torch.Tensor:
    """``rows`` log-spaced scales from :data:`SCALE_MIN` to 256 (64 rows: the export's table)."""
    return torch.exp(torch.linspace(math.log(SCALE_MIN), math.log(256.0), rows))


def nearest_thresholds(table: torch.Tensor) -> torch.Tensor:
    """Fixed-point thresholds that give each scale the row nearest in log-scale."""
    middle = torch.sqrt(table[:-1].double() * table[1:].double())
    return torch.floor(middle * 2**ACT_BITS).to(torch.int64)


def count_symbols(model, image: torch.Tensor, tables: CdfTables, thresholds: torch.Tensor,
                  qualities=FIT_QUALITIES) -> np.ndarray:
    """Counts ``[rows, max_length]`` of ``image``'s y symbols by table row.

    Column ``v`` of row ``r`` counts symbol ``v + offset[r]``; the column after
    a row's in-range symbols counts its escapes. ``image``: ``[1, 3, H, W]`` in
    [0, 1], sides multiples of 64.
    """
    rows, width = tables.cdf.shape
    counts = np.zeros(rows * width, dtype=np.int64)
    y_ungained = model.analyse_ungained(image)
    for q in qualities:
        y = model.apply_gain(y_ungained, q)
        symbols, params = model.quantize_latents(y, model.hyper_symbols(y))
        row = torch.searchsorted(thresholds, params.scales_fixed.contiguous()).numpy().ravel()
        v = symbols.numpy().ravel() - tables.offset[row]
        escape = tables.length[row] - 2  # the column after the in-range symbols
        v = np.where((v >= 0) & (v < escape), v, escape)
        counts += np.bincount(row * width + v, minlength=rows * width)
    return counts.reshape(rows, width)


def _gaussian_pmf(tables: CdfTables) -> np.ndarray:
    """Each row's probabilities (in-range symbols, then escape) from its quantized CDF."""
    pmf = np.zeros(tables.cdf.shape, dtype=np.float64)
    for r, n in enumerate(tables.length):
        pmf[r, : n - 1] = np.diff(tables.cdf[r, :n].astype(np.float64)) / 2**CDF_BITS
    return pmf


def fitted_tables(counts: np.ndarray, gaussian: CdfTables, prior_weight: float) -> CdfTables:
    """Quantized CDFs of ``counts`` blended with ``gaussian``'s rows (same support)."""
    from compressai._CXX import pmf_to_quantized_cdf

    prior = _gaussian_pmf(gaussian)
    cdf = np.zeros_like(gaussian.cdf)
    for r, n in enumerate(gaussian.length):
        c = counts[r, : n - 1].astype(np.float64)
        pmf = (c + prior_weight * prior[r, : n - 1]) / (c.sum() + prior_weight)
        cdf[r, :n] = pmf_to_quantized_cdf(pmf.tolist(), CDF_BITS)
    return CdfTables(cdf, gaussian.length.copy(), gaussian.offset.copy())


def code_length(counts: np.ndarray, tables: CdfTables) -> float:
    """Bits to code ``counts`` with ``tables`` (escapes: the escape symbol alone)."""
    cdf = tables.cdf.astype(np.float64)
    bits = 0.0
    for r, n in enumerate(tables.length):
        p = np.maximum(np.diff(cdf[r, :n]), 1) / 2**CDF_BITS
        bits -= float((counts[r, : n - 1] * np.log2(p)).sum())
    return bits


def fit(model, images: list[Path], rows: int, crop: int, log=print) -> tuple[CdfTables, torch.Tensor, dict]:
    """Tables and thresholds fitted to ``images`` (centre crops of ``crop`` px), and a report."""
    table = scale_table(rows)
    gaussian, thresholds = gaussian_tables(table), nearest_thresholds(table)
    halves = [np.zeros(gaussian.cdf.shape, dtype=np.int64) for _ in range(2)]
    start = time.process_time()
    for i, path in enumerate(images):
        halves[i % 2] += count_symbols(model, _centre_crop(path, crop), gaussian, thresholds)
        if (i + 1) % 25 == 0:
            log(f"counted {i + 1}/{len(images)} photos")
    # choose the prior's weight by coding each half with tables fitted on the other
    gaussian_bits = sum(code_length(h, gaussian) for h in halves)
    tried = {w: sum(code_length(halves[1 - k], fitted_tables(halves[k], gaussian, w)) for k in (0, 1))
             for w in PRIOR_WEIGHTS}
    weight = min(tried, key=tried.get)
    report = {"photos": len(images), "crop": crop, "rows": rows, "qualities": list(FIT_QUALITIES),
              "symbols": int(sum(h.sum() for h in halves)), "prior_weight": weight,
              "cross_fit_change_vs_gaussian_percent": {
                  str(w): round((b / gaussian_bits - 1) * 100, 3) for w, b in tried.items()},
              "cpu_seconds": round(time.process_time() - start, 1)}
    return fitted_tables(halves[0] + halves[1], gaussian, weight), thresholds, report


def _centre_crop(path: Path, crop: int) -> torch.Tensor:
    """``[1, 3, crop, crop]`` in [0, 1]; ``crop`` a multiple of 64 (whole latents)."""
    if crop % 64:
        raise ValueError(f"crop must be a multiple of 64, got {crop}")
    pixels = centre_crop(path, crop).astype(np.float32) / 255
    return torch.from_numpy(pixels).permute(2, 0, 1)[None].contiguous()


def refit_file(src: Path, out: Path, data: Path, rows: int = 128, every: int = 4, crop: int = 384,
               log=print) -> str:
    """Write ``out``: ``src``'s weights with fitted y tables (+ ``.json`` sidecar); its sha256.

    Counts come from every ``every``-th training photo of ``data`` (held-out tenth excluded).
    """
    src, out = Path(src), Path(out)
    raw = src.read_bytes()
    model = model_from_bytes(raw)
    model.precision = "fp32"  # the counts must not depend on the machine's bf16 support
    train, _ = split(list_images(data))
    images = [Path(data) / name for name in train[::every]]
    tables, thresholds, report = fit(model, images, rows, crop, log)
    tensors = load(raw)
    tensors["y.cdf"] = torch.from_numpy(tables.cdf)
    tensors["y.cdf_length"] = torch.from_numpy(tables.length)
    tensors["y.offset"] = torch.from_numpy(tables.offset)
    tensors["y.scale_thresholds"] = thresholds
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])["__metadata__"]
    parent_sidecar = json.loads(src.with_suffix(".json").read_text())
    parent = {"export": src.stem, "sha256": hashlib.sha256(raw).hexdigest()}
    provenance = {"steps": 0, "cpu_hours": round(report["cpu_seconds"] / 3600, 3),
                  "y_tables": report, "parent": parent,
                  "total_steps": parent_sidecar.get("total_steps", parent_sidecar["steps"]),
                  "total_cpu_hours": round(parent_sidecar.get("total_cpu_hours", parent_sidecar["cpu_hours"])
                                           + report["cpu_seconds"] / 3600, 3)}
    meta = {"config": header["config"], "provenance": json.dumps(provenance, sort_keys=True)}
    blob = save({k: v.contiguous() for k, v in sorted(tensors.items())}, metadata=meta)
    out.write_bytes(blob)
    sha = hashlib.sha256(blob).hexdigest()
    # the architecture is in the file's config already; the sidecar repeats the parent's, as exports do
    sidecar = {"sha256": sha, "bytes": len(blob), **provenance,
               "model_config": parent_sidecar.get("model_config", {})}
    out.with_suffix(".json").write_text(json.dumps(sidecar, indent=2, sort_keys=True) + "\n")
    return sha


def main(argv: list[str] | None = None) -> None:
    import argparse

    p = argparse.ArgumentParser(description="Refit a shipped model's y CDF tables to its symbols.")
    p.add_argument("weights", type=Path, help="an exported .safetensors (its .json sidecar beside it)")
    p.add_argument("out", type=Path)
    p.add_argument("--data", type=Path, required=True, help="the training folder")
    p.add_argument("--rows", type=int, default=128, help="table rows (scales)")
    p.add_argument("--every", type=int, default=4, help="use every N-th training photo")
    p.add_argument("--crop", type=int, default=384, help="centre crop side (px)")
    a = p.parse_args(argv)
    torch.set_grad_enabled(False)
    print(refit_file(a.weights, a.out, a.data, a.rows, a.every, a.crop))


if __name__ == "__main__":
    main()
