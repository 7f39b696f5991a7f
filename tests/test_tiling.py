"""Tiles: windows, seam-free coding across tile borders, progress reports."""

import dataclasses

import numpy as np
import pytest
from PIL import Image

import aecodec
from aecodec.models.loader import load_model
from aecodec.models.registry import DEFAULT_MODEL_ID, MODELS
from aecodec.tiling import Window, latent_grid, padded, tile_boxes, window
from benchmarks.metrics import psnr


def test_margin_zero_window_is_the_padded_tile():
    assert window((64, 128, 100, 150), 100, 150, 0) == Window((64, 128, 128, 192), (0, 0, 64, 64))


def test_windows_stay_inside_the_padded_image_and_hold_their_tile():
    width, height = 700, 300
    for box in tile_boxes(width, height, 256, 128):
        win = window(box, width, height, 64)
        left, top, right, bottom = win.outer
        assert 0 <= left and 0 <= top and right <= padded(width) and bottom <= padded(height)
        il, it, ir, ib = win.inner
        assert (left + il, top + it) == box[:2]
        assert (left + ir, top + ib) == (padded(box[2]), padded(box[3]))
        assert all(v % 16 == 0 for v in win.outer + win.inner)
        assert il <= 64 and it <= 64 and right - (left + ir) <= 64 and bottom - (top + ib) <= 64


@pytest.mark.parametrize("size, grid", [((768, 512), 64), ((481, 321), 16), ((500, 375), 64),
                                        ((1, 1), 16), ((64, 48), 16), ((112, 64), 16), ((120, 64), 64)])
def test_latent_grid_is_16_only_where_64_would_add_latents_of_padding(size, grid):
    assert latent_grid(*size) == grid


def test_windows_on_the_16_pixel_grid_end_at_the_image_padded_to_16():
    width, height = 481, 321
    for box in tile_boxes(width, height, 256, 128):
        win = window(box, width, height, 128, grid=16)
        left, top, right, bottom = win.outer
        assert right <= 496 and bottom <= 336  # 481 and 321 padded to 16
        assert (left + win.inner[2], top + win.inner[3]) == (padded(box[2], 16), padded(box[3], 16))
    with pytest.raises(ValueError, match="grid"):
        window((0, 0, 64, 64), 64, 64, 0, grid=32)


def test_tiled_coding_on_the_16_pixel_grid_matches_whole_image_coding(sample_path):
    crop = np.asarray(Image.open(sample_path).convert("RGB"))[:136, :200]  # 9×13 latents
    whole = aecodec.encode(crop, quality=60)
    tiled = aecodec.encode(crop, quality=60, tile_size=64)
    c = aecodec.container.parse(tiled)
    assert c.header.latent_grid == 16 and c.header.tile_count == 12
    for t, (left, top, right, bottom) in zip(c.tiles, tile_boxes(200, 136, 64, 64)):
        assert t.y_shape[1:] == (-(-(bottom - top) // 16), -(-(right - left) // 16))
    assert abs(psnr(crop, np.asarray(aecodec.decode(tiled)))
               - psnr(crop, np.asarray(aecodec.decode(whole)))) < 0.1


def test_margin_must_be_a_multiple_of_the_stride():
    with pytest.raises(ValueError):
        window((0, 0, 64, 64), 64, 64, 32)


def test_the_default_model_looks_across_tile_borders():
    assert MODELS[DEFAULT_MODEL_ID].tile_margin >= 64


def _receptive_extent(blocks: int, half_blocks: int = 0) -> tuple[int, int]:
    """How far ``g_a`` reads beyond one latent's 16 pixels (pixels) and ``g_s`` beyond
    one pixel's latent (latents), on the larger side: gradients of one output
    position, through random weights (residual blocks made non-zero)."""
    import torch

    from aecodec.models import transforms

    torch.manual_seed(0)
    g_a, g_s = transforms.analysis(16, 16, blocks, half_blocks), transforms.synthesis(16, 16, blocks)
    for mod in [*g_a.modules(), *g_s.modules()]:
        if isinstance(mod, transforms.ResidualBottleneck):
            torch.nn.init.normal_(mod.expand.weight, std=0.1)
            for conv in (mod.reduce, mod.mix):  # every ReLU open: no position hidden
                torch.nn.init.constant_(conv.bias, 10.0)
    x = torch.rand(1, 3, 512, 512, requires_grad=True)
    g_a(x)[0, :, 16, 16].sum().backward()
    rows = (x.grad.abs().sum((0, 1, 3)) > 0).nonzero().flatten()
    pixels = max(256 - int(rows.min()), int(rows.max()) - 271)
    y = torch.rand(1, 16, 32, 32, requires_grad=True)
    g_s(y)[0, :, 256, 256].sum().backward()
    rows = (y.grad.abs().sum((0, 1, 3)) > 0).nonzero().flatten()
    return pixels, max(16 - int(rows.min()), int(rows.max()) - 16)


@pytest.mark.parametrize("model_id", sorted(MODELS))
def test_each_models_margin_covers_its_transforms_receptive_fields(model_id):
    """A margin short of the receptive field would let tiles compute other latents and
    pixels than the whole image (a seam); the architecture is read from the weights."""
    import json

    from safetensors import safe_open

    from aecodec.models.loader import WEIGHTS_DIR

    e = MODELS[model_id]
    if e.tile_margin == 0:  # independent tiles by design
        return
    with safe_open(WEIGHTS_DIR / e.filename, "pt") as f:
        config = json.loads(f.metadata()["config"])
    pixels, latents = _receptive_extent(config.get("residual_blocks", 0),
                                        config.get("analysis_blocks", 0))
    assert pixels <= e.tile_margin and latents <= e.tile_margin // 16, (pixels, latents)


@pytest.fixture(scope="module")
def photo(sample_path) -> np.ndarray:
    with Image.open(sample_path) as im:
        return np.asarray(im.convert("RGB"))[96:288, 64:384]  # 320×192: 5×3 tiles of 64


def test_tiled_coding_matches_whole_image_coding(photo):
    whole = aecodec.decode(aecodec.encode(photo, quality=60))
    tiled = aecodec.decode(aecodec.encode(photo, quality=60, tile_size=64))
    assert aecodec.read_header(aecodec.encode(photo, quality=60, tile_size=64)).tile_count == 15
    assert abs(psnr(photo, np.asarray(tiled)) - psnr(photo, np.asarray(whole))) < 0.1


def test_independent_tiles_show_a_step_at_borders_that_the_margin_removes(photo):
    """Negative control: with margin 0 the error jumps at tile borders; with the
    shipped margin the error at borders is like the error elsewhere."""
    model = load_model(DEFAULT_MODEL_ID, "cpu")
    shipped = model.entry

    def border_ratio(margin: int) -> float:
        model.entry = dataclasses.replace(shipped, tile_margin=margin)
        try:
            out = np.asarray(aecodec.decode(aecodec.encode(photo, quality=60, tile_size=64)), float)
        finally:
            model.entry = shipped
        err = ((out - photo) ** 2).sum(2)
        cols = np.arange(err.shape[1]) % 64
        at_border = err[:, (cols == 0) | (cols == 63)].mean()
        inside = err[:, (cols >= 8) & (cols < 56)].mean()
        return at_border / inside

    assert border_ratio(0) > 1.3 * border_ratio(shipped.tile_margin)


def test_a_margin_taller_than_the_tiles_reaches_several_tile_rows(photo):
    """64-px tiles with a 128-px margin (models 11 and 12): each tile's synthesis needs two
    tile rows above and below; the result is the whole-image synthesis (margin past
    the image), up to float summation order."""
    model = load_model(DEFAULT_MODEL_ID, "cpu")
    shipped = model.entry
    data = aecodec.encode(photo, quality=60, tile_size=64)
    try:
        model.entry = dataclasses.replace(shipped, tile_margin=128)
        tiled = np.asarray(aecodec.decode(data), int)
        model.entry = dataclasses.replace(shipped, tile_margin=1024)
        whole = np.asarray(aecodec.decode(data), int)
    finally:
        model.entry = shipped
    assert np.abs(tiled - whole).max() <= 1 and (tiled != whole).mean() < 0.01


def test_progress_reports_every_tile(small_rgb):
    seen_encode, seen_decode = [], []
    data = aecodec.encode(small_rgb, quality=50, tile_size=64 * 1, progress=lambda d, t: seen_encode.append((d, t)))
    aecodec.decode(data, progress=lambda d, t: seen_decode.append((d, t)))
    n = aecodec.read_header(data).tile_count
    assert seen_encode == [(i, n) for i in range(1, n + 1)]
    assert seen_decode == [(i, 2 * n) for i in range(1, 2 * n + 1)]


def test_progress_over_many_tiles():
    image = np.zeros((130, 200, 3), np.uint8)
    seen = []
    aecodec.encode(image, quality=10, tile_size=64, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (12, 12) and len(seen) == 12


@pytest.mark.parametrize("tile_size", [32, 100, 32768, 64.0, True])
def test_tile_size_must_fit_the_grid_and_the_format(small_rgb, tile_size):
    with pytest.raises(aecodec.InvalidInputError, match="tile_size"):
        aecodec.encode(small_rgb, quality=50, tile_size=tile_size)


def test_blocks_at_half_size_widen_only_the_analysis_and_fit_the_margin_of_128():
    """``--analysis-blocks`` reach 2 more pixels per block (a 3×3 convolution at 1/2
    size) and leave ``g_s`` alone: with 3 blocks per stage (models 11 on), even the
    loader's limit of them fits a margin of 128."""
    from aecodec.models.loader import MAX_RESIDUAL_BLOCKS

    pixels, latents = _receptive_extent(3)
    assert _receptive_extent(3, 2) == (pixels + 4, latents)
    widest = _receptive_extent(3, MAX_RESIDUAL_BLOCKS)
    assert widest == (pixels + 2 * MAX_RESIDUAL_BLOCKS, latents) and widest[0] <= 128, widest
