"""Plain-torch references of the kernels in :mod:`aecodec.kernels.triton_ops`."""

from __future__ import annotations

import torch
from torch import Tensor


def requantize(acc: Tensor, shift: int, relu: bool, limit: float) -> Tensor:
    x = torch.floor((acc + 2.0 ** (shift - 1)) * 2.0**-shift)
    if relu:
        x = x.clamp_min(0)
    return x.clamp(-limit, limit)


def quantize(values: Tensor, centres: Tensor) -> Tensor:
    return torch.floor(values.double() - centres.double() + 0.5).to(torch.int64)


def scale_index(scales_fixed: Tensor, thresholds: Tensor) -> Tensor:
    return torch.searchsorted(thresholds.to(torch.int64), scales_fixed.to(torch.int64).contiguous(),
                              right=False)
