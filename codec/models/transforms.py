"""Learned transforms of the mean-scale hyperprior (Minnen, Ballé, Toderici 2018).

The four transforms only decide *quality*; none of them decides how symbols are
coded, so they may run in float32 or bfloat16 on any device::

    x ──g_a──► y ──h_a──► z            (encoder side)
    ẑ ──h_s──► (scales, means)         (both sides; run in exact fixed point at
                                        inference, see ``fixed_point.py``)
    ŷ ──g_s──► x̂                       (decoder side)

Strides: ``g_a`` downsamples by 16 and ``h_a`` by a further 4, so images are
padded to a multiple of 64 before coding (:data:`aecodec.models.STRIDE`).
"""

from __future__ import annotations

from torch import nn
from compressai.layers import GDN



def _conv(cin: int, cout: int, kernel: int = 5, stride: int = 2) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2)


def _deconv(cin: int, cout: int, kernel: int = 5, stride: int = 2) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(
        cin, cout, kernel, stride=stride, padding=kernel // 2, output_padding=stride - 1
    )


def analysis(n: int, m: int) -> nn.Sequential:
    """``g_a``: RGB image in [0, 1] → latent ``y`` with ``m`` channels at 1/16 size."""
    return nn.Sequential(
        _conv(3, n), GDN(n), _conv(n, n), GDN(n), _conv(n, n), GDN(n), _conv(n, m)
    )


def synthesis(n: int, m: int) -> nn.Sequential:
    """``g_s``: latent ``ŷ`` → RGB image (unclamped)."""
    return nn.Sequential(
        _deconv(m, n), GDN(n, inverse=True), _deconv(n, n), GDN(n, inverse=True),
        _deconv(n, n), GDN(n, inverse=True), _deconv(n, 3),
    )


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
