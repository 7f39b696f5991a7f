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
from torch import Tensor, nn

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
