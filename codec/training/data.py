"""Training data: a folder of photos decoded once into memory, random crops.

Every 10th file by sorted relative path is held out (never trained on) so the
model can be measured on photos it has not seen; :func:`split` is the rule and
``benchmarks/heldout.txt`` the committed manifest of it for our data folder.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..pixels import IMAGE_SUFFIXES

HOLDOUT_EVERY = 10


def list_images(root: Path) -> list[str]:
    """Relative paths (POSIX) of all images under ``root``, sorted."""
    root = Path(root)
    files = [p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    return sorted(p.relative_to(root).as_posix() for p in files)


def split(names: list[str]) -> tuple[list[str], list[str]]:
    """``(train, heldout)``: every 10th name (indices 9, 19, …) is held out."""
    held = [n for i, n in enumerate(names) if i % HOLDOUT_EVERY == HOLDOUT_EVERY - 1]
    train = [n for i, n in enumerate(names) if i % HOLDOUT_EVERY != HOLDOUT_EVERY - 1]
    return train, held


def spread_training_names(root: Path, count: int) -> list[str]:
    """``count`` evenly spaced names of the training part of ``root`` (the held-out
    tenth excluded): a fixed sample for yardsticks that must not touch test images."""
    names, _ = split(list_images(Path(root)))
    if not names:
        raise ValueError(f"no training images found under {root}")
    return [names[i * len(names) // count] for i in range(min(count, len(names)))]


def open_rgb(path: Path, crop: int) -> Image.Image:
    """The image at ``path`` in RGB, upscaled if needed so one ``crop``-px square fits."""
    with Image.open(path) as im:
        im = im.convert("RGB")
    short = min(im.size)
    if short < crop:  # rare tiny images
        f = crop / short
        im = im.resize((max(crop, round(im.width * f)), max(crop, round(im.height * f))),
                       Image.BICUBIC)
    return im


def centre_crop(path: Path, crop: int) -> np.ndarray:
    """The ``crop``-px centre square of the image at ``path`` (uint8 ``[crop, crop, 3]``)."""
    im = open_rgb(path, crop)
    left, top = (im.width - crop) // 2, (im.height - crop) // 2
    return np.asarray(im.crop((left, top, left + crop, top + crop)))


class CropSampler:
    """Random crops with antialiased random downscale (``min_scale``–1.0) and flips.

    Images are decoded once and kept as uint8 arrays. Downscaling washes out the
    JPEG artefacts of the source photos (DESIGN §6); ``min_scale=1.0`` keeps the
    photos' own resolution (crops are then exact pixels of the photo, maybe flipped).
    """

    def __init__(self, root: Path, names: list[str], crop: int, seed: int = 0,
                 min_scale: float = 0.5) -> None:
        if not 0.0 < min_scale <= 1.0:
            raise ValueError(f"min_scale must be in (0, 1], got {min_scale}")
        self.crop = crop
        self.min_scale = min_scale
        self.rng = random.Random(seed)
        self.images: list[np.ndarray] = []
        for name in names:
            self.images.append(np.asarray(open_rgb(Path(root) / name, crop)))
        if not self.images:
            raise ValueError(f"no training images found under {root}")

    def state(self) -> object:
        return self.rng.getstate()

    def set_state(self, state: object) -> None:
        self.rng.setstate(state)

    def sample(self) -> np.ndarray:
        img = self.images[self.rng.randrange(len(self.images))]
        h, w = img.shape[:2]
        scale = self.rng.uniform(self.min_scale, 1.0)
        region = min(round(self.crop / scale), h, w)
        top = self.rng.randrange(h - region + 1)
        left = self.rng.randrange(w - region + 1)
        patch = img[top:top + region, left:left + region]
        if region != self.crop:
            patch = np.asarray(Image.fromarray(patch).resize((self.crop, self.crop), Image.BICUBIC))
        if self.rng.random() < 0.5:
            patch = patch[:, ::-1]
        return patch

    def batch(self, size: int) -> torch.Tensor:
        """A float batch ``[size, 3, crop, crop]`` in [0, 1], channels_last."""
        arr = np.stack([self.sample() for _ in range(size)])
        x = torch.from_numpy(arr).permute(0, 3, 1, 2).float().div_(255.0)
        return x.contiguous(memory_format=torch.channels_last)
