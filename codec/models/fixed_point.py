"""Exact (integer) hyper-synthesis: the part of the decoder that must agree bit
for bit with the encoder on every machine.

Float convolutions are not reproducible across thread counts or instruction
sets (summation order changes the last bits), and one flipped scale index
desynchronises the arithmetic decoder. This module runs ``h_s`` in integer
arithmetic instead:

* activations live on a fixed grid of ``2**-ACT_BITS`` and are held as
  integers ``a`` (value ``a / 2**ACT_BITS``), clamped to ``±ACT_LIMIT``;
* each layer's weights are integers ``W = round(w · 2**shift)`` and biases
  ``B = round(b · 2**(shift + ACT_BITS))``, computed once at export and shipped;
* a layer computes ``acc = conv(a, W) + B`` and rescales with an exact
  power-of-two rounding ``floor((acc + 2**(shift-1)) / 2**shift)``.

The convolutions run in float64 on integer-valued tensors. Every product and
partial sum is an integer below ``2**53`` (checked by :func:`check_bounds`), so
every summation order gives the same exact result: no rounding happens anywhere,
whatever the BLAS, thread count, instruction set or device.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from .. import kernels

ACT_BITS = 8
ACT_LIMIT = 2**24
WEIGHT_BITS = 12
EXACT_LIMIT = 2**53


@dataclass(frozen=True)
class FixedLayer:
    """One integer layer: ``kind`` is ``"conv"`` or ``"deconv"`` (stride-2 transposed)."""

    kind: str
    weight: Tensor  # int64 integers
    bias: Tensor  # int64 integers
    shift: int
    stride: int
    padding: int
    output_padding: int
    relu: bool

    def fan_in(self) -> int:
        w = self.weight
        if self.kind == "conv":
            return w.shape[1] * w.shape[2] * w.shape[3]
        # transposed conv: each output sums over all input channels and the
        # kernel taps that land on it (at most ceil(k/stride)**2 of them).
        taps = -(-w.shape[2] // self.stride) * -(-w.shape[3] // self.stride)
        return w.shape[0] * taps


def quantize_layer(kind: str, weight: Tensor, bias: Tensor, stride: int, padding: int,
                   output_padding: int, relu: bool) -> FixedLayer:
    """Snap a float layer onto the integer grid (done once, at export)."""
    peak = float(weight.abs().max())
    magnitude = int(torch.tensor(peak).log2().ceil()) if peak > 0 else 0  # all-zero: any shift
    shift = WEIGHT_BITS - max(0, magnitude)
    w_int = torch.round(weight.double() * 2.0**shift).long()
    b_int = torch.round(bias.double() * 2.0 ** (shift + ACT_BITS)).long()
    return FixedLayer(kind, w_int, b_int, shift, stride, padding, output_padding, relu)


def check_bounds(layers: list[FixedLayer]) -> None:
    """Raise if any layer could produce a partial sum at or beyond ``2**53``."""
    for i, layer in enumerate(layers):
        worst = ACT_LIMIT * int(layer.weight.abs().max()) * layer.fan_in()
        worst += int(layer.bias.abs().max())
        if worst >= EXACT_LIMIT:
            raise ValueError(f"fixed-point layer {i} may exceed 2**53 ({worst})")


def run_fixed(layers: list[FixedLayer], a: Tensor) -> Tensor:
    """Run integer layers on integer activations (any integer dtype or float64).

    Returns int64 activations on the ``2**-ACT_BITS`` grid.
    """
    x = a.to(torch.float64).clamp(-ACT_LIMIT, ACT_LIMIT)
    for layer in layers:
        w = layer.weight.to(torch.float64)
        b = layer.bias.to(torch.float64)
        if layer.kind == "conv":
            acc = F.conv2d(x, w, b, stride=layer.stride, padding=layer.padding)
        else:
            acc = F.conv_transpose2d(x, w, b, stride=layer.stride, padding=layer.padding,
                                     output_padding=layer.output_padding)
        # floor((acc + 2^(shift-1)) / 2^shift), ReLU, clamp: exact on float64 integers
        x = kernels.requantize(acc, layer.shift, layer.relu, ACT_LIMIT)
    return x.to(torch.int64)


def run_float(layers: list[FixedLayer], a: Tensor) -> Tensor:
    """The same network in plain float32 (no grid): the *negative control*.

    Its outputs depend on summation order, so they can differ in the last bits
    across thread counts and instruction sets. Used only by tests and the
    exact-path benchmark, never to code a file.
    """
    x = a.to(torch.float32) / 2**ACT_BITS
    for layer in layers:
        w = layer.weight.to(torch.float32) * 2.0**-layer.shift
        b = layer.bias.to(torch.float32) * 2.0 ** -(layer.shift + ACT_BITS)
        if layer.kind == "conv":
            x = F.conv2d(x, w, b, stride=layer.stride, padding=layer.padding)
        else:
            x = F.conv_transpose2d(x, w, b, stride=layer.stride, padding=layer.padding,
                                   output_padding=layer.output_padding)
        if layer.relu:
            x = x.clamp_min(0)
    return x
