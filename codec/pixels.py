"""Pixels in and out: accepted inputs, mode rules, tiling and padding.

Mode rule (what ``decode`` gives back for each input mode):

=====================  ===========================================  ==========
input                  coded as                                     decoded as
=====================  ===========================================  ==========
``RGB``                3 colour channels                            ``RGB``
``L``, ``1``           1 channel (grey replicated into the model)   ``L``
``RGBA``               RGB + lossless alpha chunk                   ``RGBA``
``LA``                 grey + lossless alpha chunk                  ``LA``
``P`` (palette)        RGB, or RGBA if the palette has transparency ``RGB``/``RGBA``
``CMYK``, ``YCbCr``…   converted to RGB by Pillow                   ``RGB``
``I;16``, ``I``, ``F``  scaled to 8-bit grey, with a warning          ``L``
=====================  ===========================================  ==========
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import InvalidInputError

#: File suffixes treated as images when scanning folders.
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm"}

ImageInput = "Image.Image | np.ndarray | str | os.PathLike[str]"


@dataclass
class Pixels:
    """An image ready to code: ``colour`` is H×W×3 uint8; ``alpha`` H×W uint8 or None."""

    colour: np.ndarray
    channels: int  # 1 (grey) or 3 (RGB): what decode gives back
    alpha: np.ndarray | None = None
    icc_profile: bytes | None = None
    exif: bytes | None = None

    @property
    def height(self) -> int:
        return self.colour.shape[0]

    @property
    def width(self) -> int:
        return self.colour.shape[1]


def _from_array(arr: np.ndarray) -> Image.Image:
    if arr.dtype != np.uint8:
        raise InvalidInputError(f"arrays must be uint8, got {arr.dtype}; scale to 0…255 first")
    if arr.ndim == 2:
        return Image.fromarray(arr, "L")
    if arr.ndim == 3 and arr.shape[2] in (1, 3, 4):
        mode = {1: "L", 3: "RGB", 4: "RGBA"}[arr.shape[2]]
        return Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr, mode)
    raise InvalidInputError(f"arrays must be H×W or H×W×3 (or ×4), got shape {arr.shape}")


def open_image(image: object) -> Image.Image:
    """Accept a PIL image, a uint8 array or a path; return a loaded PIL image."""
    if isinstance(image, Image.Image):
        return image
    if isinstance(image, np.ndarray):
        return _from_array(image)
    if isinstance(image, (str, os.PathLike)):
        path = Path(image)
        try:
            with Image.open(path) as im:
                im.load()
                return im
        except FileNotFoundError:
            raise InvalidInputError(f"no such file: {path}") from None
        except IsADirectoryError:
            raise InvalidInputError(f"{path} is a directory, not an image") from None
        except UnidentifiedImageError:
            raise InvalidInputError(f"{path} is not an image Pillow can read") from None
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise InvalidInputError(f"cannot read image {path}: {exc}") from None
    raise InvalidInputError(
        f"cannot encode a {type(image).__name__}; pass a PIL image, a uint8 array or a path")


def to_pixels(image: object) -> Pixels:
    """Normalise any accepted input to :class:`Pixels` following the mode rule."""
    im = open_image(image)
    if im.width < 1 or im.height < 1:
        raise InvalidInputError("image has no pixels")
    icc = im.info.get("icc_profile") or None
    exif = im.info.get("exif") or None
    if isinstance(exif, bytes) and exif.startswith(b"Exif\x00\x00"):
        exif = exif[6:]
    mode = im.mode
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        warnings.warn(f"{mode} image coded at 8 bits per sample", stacklevel=3)
        arr = np.asarray(im, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or arr.max() > 255 else 255.0
        im = Image.fromarray(np.clip(np.round(arr / top * 255), 0, 255).astype(np.uint8), "L")
    elif mode == "1":
        im = im.convert("L")
    elif mode not in ("RGB", "L", "RGBA", "LA"):
        im = im.convert("RGB")
    alpha = None
    if im.mode in ("RGBA", "LA"):
        alpha = np.asarray(im.getchannel("A")).copy()
        im = im.convert("RGB" if im.mode == "RGBA" else "L")
    channels = 1 if im.mode == "L" else 3
    colour = np.asarray(im.convert("RGB"))
    return Pixels(colour, channels, alpha, icc, exif)


def to_tensor(colour: np.ndarray, multiple: int, device: str = "cpu") -> "torch.Tensor":
    """H×W×3 uint8 → ``[1, 3, H', W']`` float in [0, 1], edge-padded to ``multiple``."""
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(np.array(colour, copy=True)).to(device).permute(2, 0, 1)[None].float() / 255.0
    h, w = colour.shape[:2]
    ph, pw = -(-h // multiple) * multiple - h, -(-w // multiple) * multiple - w
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    return x


def to_uint8(x: "torch.Tensor", height: int, width: int) -> np.ndarray:
    """``[1, 3, H', W']`` float → cropped H×W×3 uint8 (round half up, clamp)."""
    import torch

    x = x[0, :, :height, :width].clamp(0, 1).mul(255).add(0.5).floor()
    return x.to(torch.uint8).permute(1, 2, 0).contiguous().cpu().numpy()


def from_colour(colour: np.ndarray, channels: int, alpha: np.ndarray | None) -> Image.Image:
    """Assemble the decoded image in the mode the mode rule promises."""
    im = Image.fromarray(colour, "RGB")
    if channels == 1:
        im = im.convert("L")
    if alpha is not None:
        im.putalpha(Image.fromarray(alpha, "L"))
    return im
