"""Triton kernels (GPU; CPU tensors under ``TRITON_INTERPRET=1``).

Each is exact and matches :mod:`aecodec.kernels.reference` bit for bit.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import Tensor

BLOCK = 1024


@triton.jit
def _requantize_kernel(acc_ptr, out_ptr, n, half, scale, limit, RELU: tl.constexpr,
                       BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    a = tl.load(acc_ptr + offs, mask=mask, other=0.0)
    x = tl.floor((a + half) * scale)
    if RELU:
        x = tl.maximum(x, 0.0)
    x = tl.minimum(tl.maximum(x, -limit), limit)
    tl.store(out_ptr + offs, x, mask=mask)


@triton.jit
def _quantize_kernel(v_ptr, c_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    v = tl.load(v_ptr + offs, mask=mask, other=0.0)
    c = tl.load(c_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, tl.floor(v - c + 0.5).to(tl.int64), mask=mask)


@triton.jit
def _scale_index_kernel(s_ptr, t_ptr, out_ptr, n, n_thresholds, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    s = tl.load(s_ptr + offs, mask=mask, other=0)
    count = tl.zeros([BLOCK], dtype=tl.int64)
    for i in range(0, n_thresholds):
        t = tl.load(t_ptr + i)
        count += (s > t).to(tl.int64)
    tl.store(out_ptr + offs, count, mask=mask)


def _grid(n: int):
    return (triton.cdiv(n, BLOCK),)


def requantize(acc: Tensor, shift: int, relu: bool, limit: float) -> Tensor:
    a = acc.contiguous().to(torch.float64)
    out = torch.empty_like(a)
    n = a.numel()
    if n:
        _requantize_kernel[_grid(n)](a, out, n, 2.0 ** (shift - 1), 2.0**-shift, float(limit),
                                     RELU=relu, BLOCK=BLOCK)
    return out


def quantize(values: Tensor, centres: Tensor) -> Tensor:
    v = values.to(torch.float64).contiguous()
    c = centres.to(torch.float64).expand_as(v).contiguous()
    out = torch.empty(v.shape, dtype=torch.int64, device=v.device)
    n = v.numel()
    if n:
        _quantize_kernel[_grid(n)](v, c, out, n, BLOCK=BLOCK)
    return out


def scale_index(scales_fixed: Tensor, thresholds: Tensor) -> Tensor:
    s = scales_fixed.to(torch.int64).contiguous()
    t = thresholds.to(torch.int64).contiguous().to(s.device)
    out = torch.empty_like(s)
    n = s.numel()
    if n:
        _scale_index_kernel[_grid(n)](s, t, out, n, t.numel(), BLOCK=BLOCK)
    return out
