"""The public API: bytes in, bytes out; files in, files out.

>>> import aecodec
>>> data = aecodec.encode("examples/astronaut.png", quality=60)
>>> image = aecodec.decode(data)            # a PIL.Image.Image
>>> aecodec.read_header(data).width         # no model work
512

Every option is keyword-only, so options added later never break callers.
"""

from __future__ import annotations

import math
import os
import warnings
import tempfile
import zlib
from numbers import Integral
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from . import container, refine
from .container import DEFAULT_MAX_PIXELS, FLAG_GRID16, Header, Tile
from .errors import (
    AecodecError, CorruptStreamError, ImageTooLargeError, InvalidInputError,
)
from .models import QUALITY_MAX, QUALITY_MIN, STRIDE, Y_STRIDE
from .models import registry
from .models.registry import DEFAULT_MODEL_ID, entry
from .pixels import from_colour, to_pixels, to_tensor, to_uint8
from .tiling import latent_grid, padded, tile_boxes, window

#: ``progress(done, total)`` is called as tiles are coded (e.g. to draw a progress bar).
Progress = Callable[[int, int], None]

#: Default tile side in pixels: images up to this size are coded as one tile;
#: larger ones on a grid of tiles of this size, which bounds memory.
DEFAULT_TILE_SIZE = 1024
DEFAULT_QUALITY = 75.0


def _model(model_id: int, device: str = "cpu"):
    """Load a shipped model; torch is imported only here, so headers stay cheap."""
    from .models.loader import load_model

    return load_model(model_id, device)


def _device(device: str) -> str:
    """``"cpu"`` or ``"cuda"``; asking for CUDA where there is none runs on the CPU, with a warning."""
    if device not in ("cpu", "cuda"):
        raise InvalidInputError(f"device must be 'cpu' or 'cuda', got {device!r}")
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            warnings.warn("CUDA is not available here: running on the CPU", RuntimeWarning, stacklevel=3)
            return "cpu"
    return device


def _check_quality(quality: float) -> float:
    if isinstance(quality, bool) or not isinstance(quality, (int, float, np.integer, np.floating)):
        raise InvalidInputError(f"quality must be a number in [0, 100], got {quality!r}")
    q = float(quality)
    if not math.isfinite(q) or not QUALITY_MIN <= q <= QUALITY_MAX:
        raise InvalidInputError(f"quality must be in [0, 100], got {quality!r}")
    return container.quality_to_field(q) / 100  # the value the file stores


#: Largest tile side: the tile's latent shapes must fit the container's 16-bit fields.
MAX_TILE_SIZE = 16384


def _tile_side(size: int, tile_size: int) -> int:
    if isinstance(tile_size, bool) or not isinstance(tile_size, (int, np.integer)) \
            or not STRIDE <= tile_size <= MAX_TILE_SIZE or tile_size % STRIDE:
        raise InvalidInputError(f"tile_size must be a multiple of {STRIDE} from {STRIDE} to "
                                f"{MAX_TILE_SIZE}, got {tile_size!r}")
    return min(tile_size, padded(size))


class _Prepared:
    """One image ready to code at any quality: tiles analysed once, then cached."""

    def __init__(self, image: object, tile_size: int, max_pixels: int, device: str = "cpu",
                 progress: Progress | None = None, model_id: int = DEFAULT_MODEL_ID,
                 effort: int = 0) -> None:
        self.iterations = refine.EFFORT_ITERATIONS[refine.check_effort(effort)]
        self.px = px = to_pixels(image)
        if px.width * px.height > max_pixels:
            raise ImageTooLargeError(f"image is {px.width}×{px.height}, above the limit of "
                                     f"{max_pixels} pixels; pass max_pixels= to allow it")
        self.device = device
        self.model = _model(model_id, device)
        self.tw, self.th = _tile_side(px.width, tile_size), _tile_side(px.height, tile_size)
        self.boxes = tile_boxes(px.width, px.height, self.tw, self.th)
        self.grid = latent_grid(px.width, px.height)
        self.progress = progress
        self._analysis: dict[int, object] = {}
        self._files: dict[tuple[int, bool], bytes] = {}
        self._mses: dict[tuple[int, bool], float] = {}
        self._refined = 0  # tiles refined so far (progress)
        self.extras: dict[bytes, bytes] = {}
        if px.alpha is not None:
            self.extras[b"alph"] = zlib.compress(px.alpha.tobytes(), 9)
        if px.icc_profile:
            self.extras[b"iccp"] = bytes(px.icc_profile)
        if px.exif:
            self.extras[b"exif"] = bytes(px.exif)

    def _ungained(self, i: int):
        """Tile ``i``'s latents before the gain: ``g_a`` over the tile's window, cropped."""
        if i not in self._analysis:
            px = self.px
            win = window(self.boxes[i], px.width, px.height, self.model.entry.tile_margin, self.grid)
            left, top, right, bottom = win.outer
            x = to_tensor(px.colour[top:min(bottom, px.height), left:min(right, px.width)],
                          self.grid, self.device)
            rows, cols = win.latent_slices("inner")
            self._analysis[i] = self.model.analyse_ungained(x)[:, :, rows, cols].contiguous()
            self._report()
        return self._analysis[i]

    def _report(self) -> None:
        """Progress: one step per tile analysed, then (effort > 0) one per tile refined."""
        if self.progress is not None:
            self.progress(len(self._analysis) + self._refined, len(self.boxes) * (2 if self.iterations else 1))

    def _tile_streams(self, i: int, q: float, refined: bool):
        y = self.model.apply_gain(self._ungained(i), q)
        if not refined:
            return self.model.code_latents(y)
        z_symbols = self.model.hyper_symbols(y)
        left, top, right, bottom = self.boxes[i]
        target = to_tensor(self.px.colour[top:bottom, left:right], 1, self.device)
        y = refine.refine_latents(self.model, y, z_symbols, target, q, self.iterations)
        self._refined = min(self._refined + 1, len(self.boxes))
        self._report()
        return self.model.code_latents(y, z_symbols)

    def file(self, q_field: int, refined: bool | None = None) -> bytes:
        """The complete file at quality ``q_field / 100`` (memoized); ``refined``
        (default: whether effort > 0) refines the latents first."""
        refined = bool(self.iterations) if refined is None else refined and bool(self.iterations)
        if (q_field, refined) not in self._files:
            q = q_field / 100
            tiles = []
            for i in range(len(self.boxes)):
                s = self._tile_streams(i, q, refined)
                tiles.append(Tile(i, s.z_shape, s.y_shape, s.z_bytes, s.y_bytes))
            px, e = self.px, self.model.entry
            header = Header(px.width, px.height, px.channels, 8, e.id, e.digest, q, self.tw,
                            self.th, len(tiles), flags=FLAG_GRID16 if self.grid != STRIDE else 0)
            self._files[q_field, refined] = container.pack(header, tiles, self.extras)
        return self._files[q_field, refined]

    def _mse(self, q_field: int, refined: bool) -> float:
        """Mean squared error (8-bit scale) of the decoded file at ``q_field`` (memoized: the
        PSNR target's check and the refined file's cost decode it once)."""
        if (q_field, refined) not in self._mses:
            decoded = np.asarray(decode(self.file(q_field, refined), device=self.device)
                                 .convert("RGB"), np.float64)
            self._mses[q_field, refined] = float(np.mean((decoded - self.px.colour) ** 2))
        return self._mses[q_field, refined]

    def psnr(self, q_field: int, refined: bool = False) -> float:
        """PSNR-RGB of the decoded file at ``q_field`` against the input."""
        mse = self._mse(q_field, refined)
        return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)

    def rd_cost(self, q_field: int, refined: bool) -> float:
        """The real file's ``λ(quality)·255²·MSE + bits/pixel`` (MSE of 0–1 pixels): the cost
        refinement lowers and training minimises."""
        bpp = 8 * len(self.file(q_field, refined)) / (self.px.width * self.px.height)
        return self.model.rd_lambda(q_field / 100) * self._mse(q_field, refined) + bpp

    def best_file(self, q_field: int) -> bytes:
        """The file at ``q_field``; with effort > 0, the refined file if its real RD cost is
        lower than the plain one's, else the plain file (effort never makes a file worse)."""
        if self.iterations and self.rd_cost(q_field, True) < self.rd_cost(q_field, False):
            return self.file(q_field, True)
        return self.file(q_field, False)


def _parse_size(size: int | str) -> int:
    """Bytes from an int or a string such as ``"100k"`` or ``"2M"`` (powers of 1000)."""
    if isinstance(size, bool):
        raise InvalidInputError(f"size must be a byte count, got {size!r}")
    if isinstance(size, (int, np.integer)):
        value = int(size)
    elif isinstance(size, str):
        text = size.strip().lower().removesuffix("b")
        mult = {"k": 10**3, "m": 10**6, "g": 10**9}.get(text[-1:], 1)
        try:
            value = int(float(text[:-1] if mult > 1 else text) * mult)
        except ValueError:
            raise InvalidInputError(f"cannot read size {size!r}; use e.g. 50000, 100k or 2M") from None
    else:
        raise InvalidInputError(f"size must be a byte count, got {size!r}")
    if value <= 0:
        raise InvalidInputError(f"size must be positive, got {size!r}")
    return value


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(value)) or float(value) <= 0:
        raise InvalidInputError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def encode(image: object, *, quality: float | None = None, bpp: float | None = None,
           size: int | str | None = None, psnr: float | None = None,
           tile_size: int = DEFAULT_TILE_SIZE, max_pixels: int = DEFAULT_MAX_PIXELS,
           device: str = "cpu", progress: Progress | None = None, denoise: bool = False,
           effort: int = 0, model: int | None = None) -> bytes:
    """Compress an image to aecodec bytes.

    Args:
        image: a ``PIL.Image.Image``, a ``uint8`` NumPy array (H×W, H×W×3 or
            H×W×4) or a path to an image file.
        quality: 0 (smallest) … 100 (best), continuous; stored to 0.01. Default 75.
        bpp: instead of ``quality``, aim for this many bits per pixel (whole
            file); the closest reachable rate is chosen.
        size: instead of ``quality``, the largest file not exceeding this many
            bytes (an int, or a string such as ``"100k"`` or ``"2M"``).
        psnr: instead of ``quality``, the smallest file with at least this
            PSNR-RGB in dB.
        tile_size: side of the coding tiles (a multiple of 64, at most 16384);
            images larger than this are coded tile by tile in bounded memory.
        max_pixels: refuse images with more pixels than this.
        device: ``"cpu"`` or ``"cuda"`` (Triton kernels on the exact path);
            without CUDA the CPU runs, with a ``RuntimeWarning``.
        progress: called as ``progress(done, total)`` after each tile's analysis
            and, with ``effort``, after each tile's refinement (the bulk of the
            work; entropy coding and any rate search are not counted).
        denoise: code with the de-noising model (trained on noisy inputs with
            clean targets), so noise is dropped rather than spent bits on.
        effort: 0 (default, fastest), 1 or 2: refine the latents for this image
            by gradient descent on its rate–distortion cost (20 or 50 passes
            of the synthesis transform; :mod:`aecodec.refine`), at many times
            the encoding time; decoding is unchanged. The refined file is kept
            only if its real cost (λ·255²·MSE + bpp, decoded) is lower than the
            plain file's, so effort never makes a file worse. With a rate target
            the search runs without refinement and the chosen quality is
            refined once (kept if it still meets the target and costs less).
            Not with ``denoise``.
        model: code with this shipped model id instead of the default (see
            ``aecodec models``), e.g. an older id so that earlier aecodec
            versions, which do not ship the newest model, can decode the file.
            Not with ``denoise``.

    Returns:
        The complete ``.aec`` file as bytes.

    Raises:
        InvalidInputError: the image or an option cannot be used.
        ImageTooLargeError: the image exceeds ``max_pixels``.
        RateTargetError: no quality meets the ``bpp``/``size``/``psnr`` target
            (the message names the closest reachable value).

    >>> import numpy as np, aecodec
    >>> data = aecodec.encode(np.zeros((17, 3, 3), np.uint8), quality=50)
    >>> aecodec.decode(data).size
    (3, 17)
    >>> len(aecodec.encode("examples/astronaut.png", size="20k")) <= 20000   # doctest: +SKIP
    True
    """
    targets = {k: v for k, v in (("quality", quality), ("bpp", bpp), ("size", size),
                                 ("psnr", psnr)) if v is not None}
    if len(targets) > 1:
        raise InvalidInputError(f"give one of quality, bpp, size, psnr (got {', '.join(targets)})")
    model_id = _denoise_model() if denoise else _model_choice(model)
    if denoise and model is not None:
        raise InvalidInputError("model cannot be combined with denoise, which picks the "
                                f"de-noising model (id {model_id}); give one or the other")
    if denoise and refine.check_effort(effort):
        raise InvalidInputError("effort > 0 cannot be combined with denoise: refinement fits the "
                                "noisy pixels and would code the noise; use one or the other")
    if quality is not None or not targets:
        q_field = container.quality_to_field(_check_quality(DEFAULT_QUALITY if quality is None
                                                            else quality))
        return _Prepared(image, tile_size, max_pixels, _device(device), progress, model_id,
                         effort).best_file(q_field)
    from . import rate_control

    if size is not None:
        limit = _parse_size(size)
    elif bpp is not None:
        target_bpp = _positive("bpp", bpp)
    else:
        target_psnr = _positive("psnr", psnr)
    job = _Prepared(image, tile_size, max_pixels, _device(device), progress, model_id, effort)
    pixels = job.px.width * job.px.height
    # The search runs on the fast encoder; only the quality it picks is refined (effort > 0),
    # and the refined file is kept only if it still meets the target.
    try:
        if size is not None:
            q = rate_control.largest_at_most(lambda f: len(job.file(f, False)), limit)
        elif bpp is not None:
            q = rate_control.closest(lambda f: 8 * len(job.file(f, False)) / pixels, target_bpp)
        else:
            q = rate_control.smallest_at_least(lambda f: job.psnr(f, False), target_psnr)
    except AecodecError as exc:
        what = "bytes" if size is not None else ("bpp" if bpp is not None else "dB PSNR")
        raise type(exc)(f"{exc} {what}") from None
    if not job.iterations:
        return job.file(q)
    refined = job.file(q, True)
    if size is not None and len(refined) > limit or psnr is not None and job.psnr(q, True) < target_psnr:
        return job.file(q, False)
    return job.best_file(q)


def _model_choice(model: object) -> int:
    """``model`` (None: the default) as a shipped model id, or ``InvalidInputError``."""
    if model is None:
        return DEFAULT_MODEL_ID
    if isinstance(model, bool) or not isinstance(model, Integral) or int(model) not in registry.MODELS:
        raise InvalidInputError(f"model must be a shipped model id {sorted(registry.MODELS)} "
                                f"(see `aecodec models`), got {model!r}")
    return int(model)


def _denoise_model() -> int:
    if registry.DENOISE_MODEL_ID is None:
        raise InvalidInputError("this version of aecodec ships no de-noising model; "
                                "encode without denoise=True")
    return registry.DENOISE_MODEL_ID


def latents(image: object, *, quality: float = DEFAULT_QUALITY):
    """The quantized latents of ``image`` exactly as the encoder codes them.

    Returns an :class:`aecodec.inspection.Latents` (NumPy arrays: ŷ, ẑ, their
    symbols, means, scales, table indexes and per-symbol bits). The image is
    coded as one tile, so memory grows with its size.

    >>> lat = aecodec.latents("examples/astronaut.png", quality=50)   # doctest: +SKIP
    >>> lat.y.shape, round(lat.bpp, 3)                                  # doctest: +SKIP
    ((192, 32, 32), 0.41)
    """
    from .inspection import latents_of

    q = _check_quality(quality)
    px = to_pixels(image)
    return latents_of(_model(DEFAULT_MODEL_ID), to_tensor(px.colour, latent_grid(px.width, px.height)), q,
                      (px.width, px.height))


def read_header(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Header:
    """Validate a file and return its :class:`~aecodec.container.Header` without model work.

    >>> h = aecodec.read_header(data)   # doctest: +SKIP
    >>> (h.width, h.height, h.quality, h.model_id, round(h.bpp, 3))  # doctest: +SKIP
    """
    return container.read_header(data, max_pixels=max_pixels)


def _decode_alpha(payload: bytes, width: int, height: int) -> np.ndarray:
    d = zlib.decompressobj()
    try:
        raw = d.decompress(payload, width * height + 1)
    except zlib.error:
        raise CorruptStreamError("alpha chunk is not valid zlib data") from None
    if len(raw) != width * height or d.unconsumed_tail or not d.eof:
        raise CorruptStreamError("alpha chunk does not hold exactly one plane of the image size")
    return np.frombuffer(raw, np.uint8).reshape(height, width)


def decode(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, device: str = "cpu",
           progress: Progress | None = None) -> Image.Image:
    """Decompress aecodec bytes to a ``PIL.Image.Image`` of the original size.

    The mode follows the input's (``RGB``, ``L``, ``RGBA`` or ``LA``); ICC profile
    and EXIF, when present, are in ``image.info``. ``progress(done, total)`` is
    called after each tile is entropy-decoded and after each is synthesised.

    Raises:
        FormatError: (or a subclass) the bytes are not a valid aecodec file.
        ModelMismatchError: the file needs a model this version does not ship.
        ImageTooLargeError: the header declares more than ``max_pixels`` pixels.
    """
    c = container.parse(data, max_pixels=max_pixels)
    h = c.header
    entry(h.model_id, h.model_digest)  # refuse unknown models before loading anything
    model = _model(h.model_id, _device(device))
    colour = _decode_colour(model, c.tiles, h, progress)
    alpha = c.extras.get(b"alph")
    im = from_colour(colour, h.channels,
                     None if alpha is None else _decode_alpha(alpha, h.width, h.height))
    if b"iccp" in c.extras:
        im.info["icc_profile"] = c.extras[b"iccp"]
    if b"exif" in c.extras:
        im.info["exif"] = b"Exif\x00\x00" + c.extras[b"exif"]
    return im


def _decode_colour(model, tiles: list[Tile], h: Header, progress: Progress | None) -> np.ndarray:
    """Entropy-decode and synthesise the tiles, one row of tiles at a time.

    The synthesis of a tile row sees the ŷ of the rows above and below within
    the model's margin (:mod:`aecodec.tiling`), so at most ``2·reach + 1`` rows
    of ŷ are held (``reach`` = margin / tile height, rounded up: 1 for tiles at
    least as tall as the margin, 0 without one): memory stays bounded as the
    image grows.
    """
    import torch

    margin = model.entry.tile_margin
    boxes = tile_boxes(h.width, h.height, h.tile_width, h.tile_height)
    columns = -(-h.width // h.tile_width)
    row_boxes = [boxes[i:i + columns] for i in range(0, len(boxes), columns)]
    row_tiles = [tiles[i:i + columns] for i in range(0, len(tiles), columns)]
    reach = -(-margin // h.tile_height)  # tile rows above and below that the margin reaches
    done, total = 0, 2 * len(boxes)

    def report() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    colour = np.empty((h.height, h.width, 3), np.uint8)
    latents: dict[int, torch.Tensor] = {}  # tile row → its ŷ, float32 on the CPU
    for r, boxes_r in enumerate(row_boxes):
        band_rows = range(max(0, r - reach), min(r + reach, len(row_boxes) - 1) + 1)
        for rr in band_rows:
            if rr not in latents:
                latents[rr] = _decode_row(model, row_tiles[rr], row_boxes[rr], h.latent_grid,
                                          padded(h.width, h.latent_grid), report)
        latents.pop(r - reach - 1, None)
        band = torch.cat([latents[rr] for rr in band_rows], dim=2)
        band_top = row_boxes[band_rows[0]][0][1]
        for box in boxes_r:
            left, top, right, bottom = box
            win = window(box, h.width, h.height, margin, h.latent_grid)
            w_left, w_top, w_right, w_bottom = win.outer
            y_win = band[:, :, (w_top - band_top) // Y_STRIDE:(w_bottom - band_top) // Y_STRIDE,
                         w_left // Y_STRIDE:w_right // Y_STRIDE]
            x = model.synthesise(y_win.to(model.device), h.quality)
            inner_left, inner_top, _, _ = win.inner
            colour[top:bottom, left:right] = to_uint8(x[:, :, inner_top:, inner_left:],
                                                      bottom - top, right - left)
            report()
    return colour


def _decode_row(model, tiles: list[Tile], boxes: list[tuple[int, int, int, int]], grid: int,
                width: int, report: Callable[[], None]):
    """Entropy-decode one row of tiles (exact ŷ) into a float32 CPU tensor spanning the
    image ``width`` padded to the latent ``grid``."""
    import torch

    from .entropy import EntropyDecodeError
    from .models.codec_model import LatentStreams

    top, bottom = boxes[0][1], boxes[0][3]
    row = torch.empty(1, model.m, (padded(bottom, grid) - top) // Y_STRIDE, width // Y_STRIDE,
                      dtype=torch.float32)
    for tile, (left, top, right, bottom) in zip(tiles, boxes):
        z_shape, y_shape = model.latent_shapes(bottom - top, right - left, grid)
        if tile.z_shape != z_shape or tile.y_shape != y_shape:
            raise CorruptStreamError(
                f"tile {tile.index} latent shapes {tile.z_shape}/{tile.y_shape} do not match its "
                f"{right - left}×{bottom - top} pixels (expected {z_shape}/{y_shape})")
        try:
            tile_y = model.decode_latents(LatentStreams(z_shape, y_shape, tile.z_bytes, tile.y_bytes))
        except (EntropyDecodeError, RuntimeError, ValueError) as exc:
            raise CorruptStreamError(f"tile {tile.index}: entropy stream is corrupt ({exc})") from None
        col = left // Y_STRIDE
        row[:, :, :, col:col + y_shape[2]] = tile_y.to("cpu", torch.float32)
        report()
    return row


# -- files -----------------------------------------------------------------
def write_atomic(dst: Path, data: bytes, *, overwrite: bool = False) -> None:
    """Write ``data`` to ``dst`` through a temporary file and a rename.

    A failure (or Ctrl-C) leaves no partial ``dst`` and no temporary file.
    """
    dst = Path(dst)
    if dst.exists() and not overwrite:
        raise InvalidInputError(f"{dst} exists; pass overwrite=True (CLI: --force) or choose "
                                f"another output (-o)")
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, dst)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def encode_file(src: str | os.PathLike, dst: str | os.PathLike, *,
                quality: float | None = None, overwrite: bool = False, **options) -> Header:
    """Compress the image file ``src`` into the aecodec file ``dst``; returns its header.

    ``dst`` is written atomically, never equals ``src``, and an existing ``dst``
    is only replaced with ``overwrite=True``. Other keyword options go to :func:`encode`.
    """
    src, dst = Path(src), Path(dst)
    if _same_file(src, dst):
        raise InvalidInputError(f"output {dst} is the input file; choose another output")
    if dst.exists() and not overwrite:
        raise InvalidInputError(f"{dst} exists; pass overwrite=True (CLI: --force) or -o")
    data = encode(src, quality=quality, **options)
    write_atomic(dst, data, overwrite=overwrite)
    return read_header(data)


def decode_file(src: str | os.PathLike, dst: str | os.PathLike, *, overwrite: bool = False,
                max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Decompress the aecodec file ``src`` to an image file ``dst`` (format from its suffix,
    PNG if none); returns the decoded image. Written atomically, never over ``src``."""
    src, dst = Path(src), Path(dst)
    if _same_file(src, dst):
        raise InvalidInputError(f"output {dst} is the input file; choose another output")
    if dst.exists() and not overwrite:
        raise InvalidInputError(f"{dst} exists; pass overwrite=True (CLI: --force) or -o")
    try:
        data = src.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {src}: {exc.strerror}") from None
    image = decode(data, max_pixels=max_pixels)
    write_atomic(dst, image_bytes(image, dst.suffix), overwrite=overwrite)
    return image


def image_bytes(image: Image.Image, suffix: str = ".png") -> bytes:
    """Serialize a decoded image (PNG by default) keeping its ICC profile and EXIF."""
    import io

    fmt = Image.registered_extensions().get(suffix.lower(), "PNG") if suffix else "PNG"
    params = {}
    if image.info.get("icc_profile"):
        params["icc_profile"] = image.info["icc_profile"]
    if image.info.get("exif"):
        params["exif"] = image.info["exif"]
    buf = io.BytesIO()
    try:
        image.save(buf, format=fmt, **params)
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidInputError(f"cannot write a {fmt} file: {exc}") from None
    return buf.getvalue()


__all__ = ["encode", "decode", "encode_file", "decode_file", "read_header", "image_bytes",
           "write_atomic", "AecodecError", "DEFAULT_QUALITY", "DEFAULT_TILE_SIZE"]
