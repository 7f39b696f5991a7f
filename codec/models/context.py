"""Checkerboard context model (He et al., "Checkerboard Context Model for
Efficient Learned Image Compression", CVPR 2021).

ŷ is split into two interleaved halves on a checkerboard of latent positions:

* **anchors** (row + column even) are coded first, with the hyperprior's
  parameters alone;
* **non-anchors** (row + column odd) are coded second: a 5×5 convolution reads
  the decoded anchors around each one, and a small network fuses that context
  with the hyperprior's parameters into a *correction* added to them.

Both halves decode in parallel (two passes instead of one per position). The
correction's last layer starts at zero, so a context model initialised from a
plain hyperprior codes exactly as the hyperprior did and learns on top.

The network has only convolutions and ReLUs, so the inference model runs it in
exact fixed point like ``h_s`` (:mod:`aecodec.models.fixed_point`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import kernels
from .fixed_point import ACT_LIMIT, FixedLayer, run_fixed

#: Architecture names stored in model configs.
NO_CONTEXT, CHECKERBOARD = "none", "checkerboard"


def anchor_mask(height: int, width: int, device: torch.device | str = "cpu") -> Tensor:
    """``[1, 1, H, W]`` bool: True at anchors (row + column even)."""
    rows = torch.arange(height, device=device)[:, None]
    cols = torch.arange(width, device=device)[None, :]
    return ((rows + cols) % 2 == 0)[None, None]


class CheckerboardContext(nn.Module):
    """Correction of the non-anchors' (scales, means) from decoded anchors.

    ``forward(anchors, params)``: ``anchors`` is ŷ with non-anchors zeroed
    ``[B, m, H, W]``; ``params`` the hyperprior's ``[B, 2m, H, W]``. Returns the
    correction ``[B, 2m, H, W]`` (meaningful at non-anchor positions only).
    """

    def __init__(self, m: int) -> None:
        super().__init__()
        self.context = nn.Conv2d(m, 2 * m, 5, padding=2)
        self.fuse = nn.Sequential(
            nn.Conv2d(4 * m, 2 * m, 1), nn.ReLU(inplace=True),
            nn.Conv2d(2 * m, 2 * m, 1),
        )
        nn.init.zeros_(self.fuse[-1].weight)
        nn.init.zeros_(self.fuse[-1].bias)

    def forward(self, anchors: Tensor, params: Tensor) -> Tensor:
        return self.fuse(torch.cat([params, self.context(anchors)], dim=1))


def channel_groups(m: int, groups: int) -> list[slice]:
    """The channels of each of ``groups`` equal, consecutive channel groups of ``m``."""
    size = m // groups
    return [slice(g * size, (g + 1) * size) for g in range(groups)]


class ChannelContext(nn.Module):
    """Channel groups within each checkerboard half (as in He et al., "ELIC", CVPR 2022,
    with per-position networks).

    ŷ's ``m`` channels are split into ``groups`` equal, consecutive groups. Within a
    half, group ``g`` is coded after groups ``0 … g-1`` and its (scales, means)
    get a correction from a 1×1 network that reads its own parameters and the
    decoded ŷ of the earlier groups *at the same position*. Group 0 has no
    network. Each network's last layer starts at zero, so a model initialised
    without channel groups codes exactly as before and learns on top.

    ``nets[g - 1](scales_g ‖ means_g ‖ ŷ_0 ‖ … ‖ ŷ_{g-1})`` → correction ``[B, 2·m/groups, H, W]``.
    """

    def __init__(self, m: int, groups: int) -> None:
        super().__init__()
        if groups < 2 or m % groups:
            raise ValueError(f"{m} latent channels do not split into {groups} channel groups")
        self.groups, self.size = groups, m // groups
        size = self.size
        self.nets = nn.ModuleList()
        for g in range(1, groups):
            net = nn.Sequential(nn.Conv2d(2 * size + g * size, 2 * size, 1), nn.ReLU(inplace=True),
                                nn.Conv2d(2 * size, 2 * size, 1))
            nn.init.zeros_(net[-1].weight)
            nn.init.zeros_(net[-1].bias)
            self.nets.append(net)

    def channels(self, g: int) -> slice:
        return channel_groups(self.groups * self.size, self.groups)[g]


# -- exact inference: the context network on the checkerboard's halves only ----
#: Latent positions (row parity, column parity) of the two halves.
ANCHOR_PHASES, NON_ANCHOR_PHASES = ((0, 0), (1, 1)), ((0, 1), (1, 0))


def _phase_conv(x: Tensor, weight: Tensor, out_phase: tuple[int, int],
                in_phase: tuple[int, int], height: int, width: int) -> Tensor | None:
    """The taps of a zero-padded ("same") k×k convolution of ``x`` that read
    positions of ``in_phase``, summed at the positions of ``out_phase``.

    Works on the phases' sub-grids (every second row and column), so it reads
    each input once and computes each output once; None if either is empty.
    """
    k = weight.shape[-1]
    r = k // 2

    def axis(phase_out: int, phase_in: int, size: int, n_src: int):
        taps = [t for t in range(k) if (phase_out + t - r - phase_in) % 2 == 0]
        first = (phase_out + taps[0] - r - phase_in) // 2  # sub-grid offset of the first tap
        last = (phase_out + taps[-1] - r - phase_in) // 2
        n_out = (size - phase_out + 1) // 2
        return taps, n_out, (-first, n_out - 1 + last - (n_src - 1))

    src = x[:, :, in_phase[0]::2, in_phase[1]::2]
    rows, n_rows, (top, bottom) = axis(out_phase[0], in_phase[0], height, src.shape[2])
    cols, n_cols, (left, right) = axis(out_phase[1], in_phase[1], width, src.shape[3])
    if n_rows == 0 or n_cols == 0 or src.numel() == 0:
        return None
    sub = weight[:, :, rows][:, :, :, cols]
    return F.conv2d(F.pad(src, (left, right, top, bottom)), sub)


def fixed_correction(context_layers: list[FixedLayer], fuse_layers: list[FixedLayer],
                     anchor_values: Tensor, params: Tensor) -> Tensor:
    """The exact integer correction of :class:`CheckerboardContext` at the non-anchors.

    ``anchor_values``: ŷ on the ``2**-ACT_BITS`` grid, non-anchors zero, ``[1, m, H, W]``;
    ``params``: the hyperprior's ``scales ‖ means`` on that grid, ``[1, 2m, H, W]``.
    Returns ``[1, 2m, H, W]`` int64, zero at the anchors.

    Equal, bit for bit, to running the layers over the whole grid (integers in
    float64 below ``2**53`` sum exactly in any order), at a quarter of the
    context convolution's work: outputs only where non-anchors are, taps only
    where anchors are, and the 1×1 fusion only at the non-anchors.
    """
    (conv,) = context_layers
    height, width = anchor_values.shape[2:]
    x = anchor_values.to(torch.float64).clamp(-ACT_LIMIT, ACT_LIMIT)
    w = conv.weight.to(torch.float64)
    bias = conv.bias.to(torch.float64)[None, :, None]
    packed, places = [], []
    for out_phase in NON_ANCHOR_PHASES:
        parts = [_phase_conv(x, w, out_phase, p, height, width) for p in ANCHOR_PHASES]
        parts = [t for t in parts if t is not None]
        if not parts:
            continue
        acc = sum(parts[1:], parts[0])
        places.append((out_phase, acc.shape[2:]))
        packed.append(acc.flatten(2) + bias)
    correction = torch.zeros(params.shape, dtype=torch.int64, device=params.device)
    if not packed:  # a single latent position: no non-anchors
        return correction
    context = kernels.requantize(torch.cat(packed, dim=2)[:, :, None], conv.shift, conv.relu,
                                 ACT_LIMIT)
    base = torch.cat([params[:, :, a::2, b::2].flatten(2) for (a, b), _ in places], dim=2)
    fused = run_fixed(fuse_layers, torch.cat([base[:, :, None], context], dim=1))[:, :, 0]
    start = 0
    for (a, b), (n_rows, n_cols) in places:
        n = n_rows * n_cols
        correction[:, :, a::2, b::2] = fused[:, :, start:start + n].reshape(
            *fused.shape[:2], n_rows, n_cols)
        start += n
    return correction
