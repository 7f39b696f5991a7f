"""Learned transforms of the mean-scale hyperprior (Minnen, Ballé, Toderici 2018).

The four transforms only decide *quality*; none of them decides how symbols are
coded, so they may run in float32 or bfloat16 on any device::

    x ──g_a──► y ──h_a──► z            (encoder side)
    ẑ ──h_s──► (scales, means)         (both sides; run in exact fixed point at
                                        inference, see ``fixed_point.py``)
    ŷ ──g_s──► x̂                       (decoder side)

Strides: ``g_a`` downsamples by 16 and ``h_a`` by a further 4 (rounding up), so
images are padded to a multiple of 16 or 64 before coding (the file's latent
grid, :func:`aecodec.tiling.latent_grid`).

``g_a`` and ``g_s`` may carry residual bottleneck blocks (He et al., "ELIC",
CVPR 2022) at their 1/4- and 1/8-resolution stages, and ``g_a`` alone more
blocks at its 1/2-resolution stage (encoder capacity: the decoder does not run
them). A new block computes the identity, so blocks can be added to a trained
transform without changing what it computes (``aecodec train --init …
--residual-blocks K --analysis-blocks H``), and training then puts the extra
capacity to use.
"""

from __future__ import annotations

from torch import Tensor, nn
from compressai.layers import GDN


def _conv(cin: int, cout: int, kernel: int = 5, stride: int = 2) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2)


def _deconv(cin: int, cout: int, kernel: int = 5, stride: int = 2) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(
        cin, cout, kernel, stride=stride, padding=kernel // 2, output_padding=stride - 1
    )


class ResidualBottleneck(nn.Module):
    """``x + expand(relu(mix(relu(reduce(x)))))``: 1×1 to half the channels, 3×3, 1×1 back.

    ``expand`` starts at zero, so a new block is the identity.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        mid = channels // 2
        self.reduce = nn.Conv2d(channels, mid, 1)
        self.mix = nn.Conv2d(mid, mid, 3, padding=1)
        self.expand = nn.Conv2d(mid, channels, 1)
        nn.init.zeros_(self.expand.weight)
        nn.init.zeros_(self.expand.bias)

    def forward(self, x: Tensor) -> Tensor:
        h = self.mix(self.reduce(x).relu()).relu()
        return x + self.expand(h)


class ResidualTransform(nn.Module):
    """Layers run in order and named ``0``, ``1``, … as in the plain ``nn.Sequential``
    (so a plain transform's weights load unchanged), with ``blocks.<i>`` — ``after[i]``
    residual blocks — run after layer ``i``."""

    def __init__(self, layers: list[nn.Module], after: dict[int, int], channels: int) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            self.add_module(str(i), layer)
        self.depth = len(layers)
        self.blocks = nn.ModuleDict({
            str(i): nn.Sequential(*(ResidualBottleneck(channels) for _ in range(count)))
            for i, count in sorted(after.items()) if count})

    def forward(self, x: Tensor) -> Tensor:
        for i in range(self.depth):
            x = self._modules[str(i)](x)
            if str(i) in self.blocks:
                x = self.blocks[str(i)](x)
        return x


def _with_blocks(layers: list[nn.Module], after: dict[int, int], channels: int) -> nn.Module:
    """A plain ``nn.Sequential`` without blocks (the weights' names of models 1–10)."""
    if any(after.values()):
        return ResidualTransform(layers, after, channels)
    return nn.Sequential(*layers)


def analysis(n: int, m: int, blocks: int = 0, half_blocks: int = 0) -> nn.Module:
    """``g_a``: RGB image in [0, 1] → latent ``y`` with ``m`` channels at 1/16 size;
    ``blocks`` residual blocks after the GDNs at 1/4 and 1/8 size, ``half_blocks``
    after the GDN at 1/2 size."""
    layers = [_conv(3, n), GDN(n), _conv(n, n), GDN(n), _conv(n, n), GDN(n), _conv(n, m)]
    return _with_blocks(layers, {1: half_blocks, 3: blocks, 5: blocks}, n)


def synthesis(n: int, m: int, blocks: int = 0) -> nn.Module:
    """``g_s``: latent ``ŷ`` → RGB image (unclamped); ``blocks`` residual blocks after
    the inverse GDNs at 1/8 and 1/4 size."""
    layers = [_deconv(m, n), GDN(n, inverse=True), _deconv(n, n), GDN(n, inverse=True),
              _deconv(n, n), GDN(n, inverse=True), _deconv(n, 3)]
    return _with_blocks(layers, {1: blocks, 3: blocks}, n)


def hyper_analysis(n: int, m: int) -> nn.Sequential:
    """``h_a``: ``y`` → hyper-latent ``z`` with ``n`` channels at 1/4 of y's size."""
    return nn.Sequential(
        _conv(m, n, 3, 1), nn.LeakyReLU(inplace=True),
        _conv(n, n), nn.LeakyReLU(inplace=True), _conv(n, n),
    )


def hyper_synthesis(n: int, m: int) -> nn.Sequential:
    """``h_s``: ``ẑ`` → ``2m`` channels (scales then means of ŷ).

    Only ReLU and convolutions, so it maps exactly onto integer arithmetic
    (:class:`aecodec.models.fixed_point.FixedPointHyperSynthesis`).
    """
    return nn.Sequential(
        _deconv(n, n), nn.ReLU(inplace=True),
        _deconv(n, m * 3 // 2), nn.ReLU(inplace=True),
        _conv(m * 3 // 2, m * 2, 3, 1),
    )
