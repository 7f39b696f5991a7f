"""Hot-path operations of the exact entropy path, with Triton kernels.

Three element-wise operations run on every encode and decode:

* :func:`requantize` — the epilogue of each integer hyper-synthesis layer
  (power-of-two rescale with rounding, ReLU, clamp);
* :func:`quantize` — ``floor(value − centre + ½)``: the symbols of ŷ and ẑ;
* :func:`scale_index` — the CDF table row of each ŷ element.

All three are exact (integers held in float64 / int64), so the Triton kernels
and the plain-torch references give bit-identical results. CUDA tensors use the
kernels; CPU tensors use the references unless kernels are *forced* (for
testing under ``TRITON_INTERPRET=1``): set ``AECODEC_FORCE_KERNELS=1`` or use
``with aecodec.kernels.forced(): …``. Without Triton, the references run.
No GPU speed is claimed: none can be measured on the machines we have.
"""

from __future__ import annotations

import contextlib
import os

from torch import Tensor

from . import reference

_force = os.environ.get("AECODEC_FORCE_KERNELS") == "1"


@contextlib.contextmanager
def forced(enabled: bool = True):
    """Route CPU tensors through the Triton kernels (needs ``TRITON_INTERPRET=1``)."""
    global _force
    before, _force = _force, enabled
    try:
        yield
    finally:
        _force = before


def triton_available() -> bool:
    try:
        from . import triton_ops  # noqa: F401
    except ImportError:
        return False
    return True


def _use_kernels(t: Tensor) -> bool:
    return (t.is_cuda or _force) and triton_available()


def requantize(acc: Tensor, shift: int, relu: bool, limit: float) -> Tensor:
    """``clamp(relu?(floor((acc + 2**(shift-1)) · 2**-shift)), ±limit)`` on float64 integers."""
    if _use_kernels(acc):
        from .triton_ops import requantize as k
        return k(acc, shift, relu, limit)
    return reference.requantize(acc, shift, relu, limit)


def quantize(values: Tensor, centres: Tensor) -> Tensor:
    """int64 symbols ``floor(values − centres + ½)`` (float64 arithmetic, centres broadcast)."""
    if _use_kernels(values):
        from .triton_ops import quantize as k
        return k(values, centres)
    return reference.quantize(values, centres)


def scale_index(scales_fixed: Tensor, thresholds: Tensor) -> Tensor:
    """int64 table row per element: the number of ``thresholds`` strictly below the scale."""
    if _use_kernels(scales_fixed):
        from .triton_ops import scale_index as k
        return k(scales_fixed, thresholds)
    return reference.scale_index(scales_fixed, thresholds)
