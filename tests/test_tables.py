"""Refitted CDF tables (``aecodec.training.tables``): exact coding, smaller files, same latents."""

import json

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load

import aecodec
from aecodec.entropy import CdfTables, gaussian_tables
from aecodec.models import loader
from aecodec.models.fixed_point import ACT_BITS
from aecodec.models.registry import MODELS
from aecodec.training import tables


@pytest.fixture(scope="module")
def gaussian() -> CdfTables:
    return gaussian_tables(tables.scale_table(16))


def _laplacian_counts(gaussian: CdfTables, seed: int, n: int = 20000) -> tuple[np.ndarray, list]:
    """Counts (as :func:`tables.count_symbols` makes them) of Laplacian symbols in every row,
    whose standard deviation is √2 × the row's scale."""
    rng = np.random.default_rng(seed)
    counts = np.zeros(gaussian.cdf.shape, dtype=np.int64)
    samples = []
    for r, scale in enumerate(tables.scale_table(gaussian.count).tolist()):
        s = np.round(rng.laplace(0, scale, n)).astype(np.int64)  # wider than the row, other shape
        samples.append(s)
        v = s - gaussian.offset[r]
        escape = gaussian.length[r] - 2
        np.add.at(counts[r], np.where((v >= 0) & (v < escape), v, escape), 1)
    return counts, samples


def test_nearest_thresholds_pick_the_row_nearest_in_log_scale():
    table = tables.scale_table(8)
    thresholds = tables.nearest_thresholds(table)
    fixed = lambda s: torch.tensor([int(s * 2**ACT_BITS)])  # noqa: E731
    for r, s in enumerate(table.tolist()):
        assert int(torch.searchsorted(thresholds, fixed(s))) == r
        if r + 1 < len(table):  # just below / above the geometric middle
            mid = (s * table[r + 1].item()) ** 0.5
            assert int(torch.searchsorted(thresholds, fixed(mid * 0.99))) == r
            assert int(torch.searchsorted(thresholds, fixed(mid * 1.01))) == r + 1
    assert int(torch.searchsorted(thresholds, torch.tensor([0]))) == 0
    assert int(torch.searchsorted(thresholds, fixed(1e4))) == len(table) - 1


def test_fitted_rows_keep_the_gaussian_support_and_are_valid_cdfs(gaussian):
    counts, _ = _laplacian_counts(gaussian, 0)
    fitted = tables.fitted_tables(counts, gaussian, prior_weight=100.0)
    assert np.array_equal(fitted.length, gaussian.length)
    assert np.array_equal(fitted.offset, gaussian.offset)
    for r, n in enumerate(fitted.length):
        row = fitted.cdf[r, :n].astype(np.int64)
        assert row[0] == 0 and row[-1] == 2**tables.CDF_BITS
        assert (np.diff(row) >= 1).all()  # every symbol and the escape stay codable


def test_fitted_tables_code_what_they_were_fitted_to_in_fewer_bits(gaussian):
    fit_counts, _ = _laplacian_counts(gaussian, 1)
    test_counts, _ = _laplacian_counts(gaussian, 2)  # other samples of the same source
    fitted = tables.fitted_tables(fit_counts, gaussian, prior_weight=100.0)
    assert tables.code_length(test_counts, fitted) < 0.97 * tables.code_length(test_counts, gaussian)


def test_fitted_tables_round_trip_every_symbol_exactly_including_escapes(gaussian):
    counts, samples = _laplacian_counts(gaussian, 3, n=500)
    fitted = tables.fitted_tables(counts, gaussian, prior_weight=10.0)
    symbols = np.concatenate(samples + [np.array([10**4, -(10**4), 0])])
    rows = np.concatenate([np.full(len(s), r) for r, s in enumerate(samples)] + [np.array([0, 3, 15])])
    data = fitted.encode(symbols, rows)
    assert np.array_equal(fitted.decode(data, rows), symbols)


def test_count_symbols_counts_every_latent_once_per_quality(small_rgb):
    model = loader.load_model(27)
    image = torch.from_numpy(small_rgb[:, :64]).permute(2, 0, 1)[None].float() / 255
    image = torch.nn.functional.pad(image, (0, 0, 0, 16), mode="replicate")  # 64 × 64
    table = tables.scale_table(32)
    counts = tables.count_symbols(model, image, gaussian_tables(table), tables.nearest_thresholds(table),
                                  qualities=(10, 90))
    assert counts.sum() == 2 * model.m * (64 // 16) ** 2


def test_model_28_is_model_27_with_other_y_tables_only():
    old = load((loader.WEIGHTS_DIR / MODELS[27].filename).read_bytes())
    new = load((loader.WEIGHTS_DIR / MODELS[28].filename).read_bytes())
    assert old.keys() == new.keys()
    changed = {k for k in old if old[k].shape != new[k].shape or not torch.equal(old[k], new[k])}
    assert changed == {"y.cdf", "y.cdf_length", "y.offset", "y.scale_thresholds"}
    assert new["y.cdf"].shape[0] == 128
    sidecar = json.loads((loader.WEIGHTS_DIR / "aec_m28.json").read_text())
    assert sidecar["parent"]["sha256"] == MODELS[27].sha256


def test_model_28_decodes_to_model_27_pixels_in_fewer_bytes(sample_path):
    im = Image.open(sample_path).convert("RGB").crop((0, 0, 256, 192))
    sizes = {27: 0, 28: 0}
    for q in (20, 60, 90):
        files = {m: aecodec.encode(im, quality=q, model=m) for m in sizes}
        for m, data in files.items():
            sizes[m] += len(data)
        assert np.array_equal(np.asarray(aecodec.decode(files[27])), np.asarray(aecodec.decode(files[28])))
    assert sizes[28] < sizes[27]


def test_refit_file_writes_a_loadable_model_with_provenance(tmp_path):
    data = tmp_path / "photos"
    data.mkdir()
    rng = np.random.default_rng(4)
    for i in range(3):  # three training photos and none held out (every 10th is)
        Image.fromarray(rng.integers(0, 255, (80, 96, 3), dtype=np.uint8)).save(data / f"{i}.png")
    out = tmp_path / "refit.safetensors"
    sha = tables.refit_file(loader.WEIGHTS_DIR / MODELS[27].filename, out, data, rows=16, every=1,
                            crop=64, log=lambda _: None)
    sidecar = json.loads(out.with_suffix(".json").read_text())
    assert sidecar["sha256"] == sha and sidecar["y_tables"]["photos"] == 3
    assert sidecar["y_tables"]["prior_weight"] in tables.PRIOR_WEIGHTS
    assert sidecar["parent"] == {"export": "aec_m27", "sha256": MODELS[27].sha256}
    model = loader.model_from_bytes(out.read_bytes())
    assert model.y_tables.count == 16
    y = torch.randn(1, model.m, 4, 8, generator=torch.Generator().manual_seed(5)) * 3
    streams = model.code_latents(y)
    expected, _ = model.quantize_latents(y, model.hyper_symbols(y))
    _, decoded, _ = model.decode_symbols(streams)
    assert torch.equal(decoded, expected)
