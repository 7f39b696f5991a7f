"""Distortion metrics on 8-bit RGB images."""

from __future__ import annotations

import math

import numpy as np


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR over all RGB samples, in dB (inf for identical images)."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def ms_ssim(a: np.ndarray, b: np.ndarray) -> float:
    """MS-SSIM (pytorch-msssim, data range 255); images smaller than 161 px per side use SSIM."""
    import torch
    from pytorch_msssim import ms_ssim as _ms_ssim, ssim as _ssim

    ta = torch.from_numpy(np.array(a, dtype=np.float64)).permute(2, 0, 1)[None]  # a writable copy
    tb = torch.from_numpy(np.array(b, dtype=np.float64)).permute(2, 0, 1)[None]
    if min(a.shape[:2]) > 160:
        return float(_ms_ssim(ta, tb, data_range=255.0))
    return float(_ssim(ta, tb, data_range=255.0))


def ms_ssim_db(value: float) -> float:
    """MS-SSIM on a dB scale, -10·log10(1 − MS-SSIM), as RD papers plot it."""
    return math.inf if value >= 1 else -10 * math.log10(1 - value)
