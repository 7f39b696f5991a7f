"""Variable-rate mean-scale hyperprior: the network that is trained.

One model covers the whole quality range with per-channel gain vectors (Cui et
al., "Asymmetric Gained Deep Image Compression with Continuous Rate
Adaptation", CVPR 2021): the encoder multiplies ``y`` by ``gain[q]`` before
quantization, the decoder multiplies ``ŷ`` by ``inverse_gain[q]``. Between the
trained rate levels the gains are interpolated geometrically, so any quality in
[0, 100] is a valid operating point. Nothing rate-dependent touches the coding
path: the hyperprior sees only gained latents.

Training contract (like CompressAI's models): ``forward(x, level)`` returns a
:class:`TrainOutput` with ``x_hat`` and the likelihoods of ``ŷ`` and ``ẑ``.
Coding to bytes lives in :mod:`aecodec.models.codec_model`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from compressai.entropy_models import EntropyBottleneck, GaussianConditional

from . import transforms
from .context import CHECKERBOARD, NO_CONTEXT, ChannelContext, CheckerboardContext, anchor_mask

#: Lower bound on the Gaussian scale parameter (as in CompressAI).
SCALE_MIN = 0.11


@dataclass(frozen=True)
class ModelConfig:
    """Architecture and rate levels of a :class:`VariableRateHyperprior`."""

    n: int = 128
    m: int = 192
    lambdas: tuple[float, ...] = (0.0018, 0.0040, 0.0088, 0.0193, 0.0425, 0.0932)
    #: ``"none"`` or ``"checkerboard"`` (:mod:`aecodec.models.context`).
    context: str = NO_CONTEXT
    #: Channel groups coded one after another within each checkerboard half
    #: (1: none; :class:`~aecodec.models.context.ChannelContext`).
    channel_groups: int = 1
    #: Residual bottleneck blocks per stage in ``g_a`` and ``g_s``
    #: (:func:`aecodec.models.transforms.analysis`; 0: none).
    residual_blocks: int = 0
    #: More residual blocks in ``g_a`` only, after its 1/2-size stage (0: none).
    analysis_blocks: int = 0

    @property
    def levels(self) -> int:
        return len(self.lambdas)


def _ste_round(x: Tensor) -> Tensor:
    """Round in the forward pass, identity gradient in the backward pass."""
    return x + (torch.round(x) - x).detach()


@dataclass
class TrainOutput:
    x_hat: Tensor
    y_likelihoods: Tensor
    z_likelihoods: Tensor
    aux_loss: Tensor  # quantile loss of the factorized prior (depends only on its quantiles)


class VariableRateHyperprior(nn.Module):
    """Mean-scale hyperprior with per-level channel gains (the trainable model)."""

    def __init__(self, config: ModelConfig = ModelConfig()) -> None:
        super().__init__()
        self.config = config
        n, m, levels = config.n, config.m, config.levels
        self.g_a = transforms.analysis(n, m, config.residual_blocks, config.analysis_blocks)
        self.g_s = transforms.synthesis(n, m, config.residual_blocks)
        self.h_a = transforms.hyper_analysis(n, m)
        self.h_s = transforms.hyper_synthesis(n, m)
        self.entropy_bottleneck = EntropyBottleneck(n)
        self.gaussian_conditional = GaussianConditional(None, scale_bound=SCALE_MIN)
        if config.context not in (NO_CONTEXT, CHECKERBOARD):
            raise ValueError(f"unknown context model {config.context!r}")
        self.context = CheckerboardContext(m) if config.context == CHECKERBOARD else None
        if config.channel_groups > 1 and self.context is None:
            raise ValueError("channel groups need the checkerboard context")
        self.channel_context = (ChannelContext(m, config.channel_groups)
                                if config.channel_groups > 1 else None)
        # Initial gains follow the high-rate rule: step size ∝ 1/sqrt(λ).
        mid = math.log(config.lambdas[levels // 2])
        init = torch.tensor([0.5 * (math.log(lam) - mid) for lam in config.lambdas])
        self.log_gain = nn.Parameter(init[:, None].repeat(1, m).clone())
        self.log_inverse_gain = nn.Parameter(-init[:, None].repeat(1, m).clone())

    # -- gains -------------------------------------------------------------
    def gains(self, position: Tensor) -> tuple[Tensor, Tensor]:
        """Gain and inverse gain for continuous level positions (shape ``[B]``).

        ``position`` is in ``[0, levels - 1]``; fractional positions interpolate
        geometrically between neighbouring levels. Returns ``[B, M, 1, 1]`` tensors.
        """
        position = position.clamp(0, self.config.levels - 1)
        low = position.floor().long().clamp(max=self.config.levels - 2)
        t = (position - low.to(position.dtype))[:, None]
        log_g = self.log_gain[low] * (1 - t) + self.log_gain[low + 1] * t
        log_ig = self.log_inverse_gain[low] * (1 - t) + self.log_inverse_gain[low + 1] * t
        return log_g.exp()[:, :, None, None], log_ig.exp()[:, :, None, None]

    # -- training ----------------------------------------------------------
    def forward(self, x: Tensor, position: Tensor, autocast: bool = True) -> TrainOutput:
        """Noisy-quantization forward pass for training.

        Rates use additive uniform noise; the synthesis sees straight-through
        rounded latents (``round(y - mean) + mean``), as the decoder will.
        Transforms run under bf16 autocast when ``autocast``; likelihoods are fp32.
        """
        gain, inverse_gain = self.gains(position)
        device = x.device.type
        with torch.autocast(device, dtype=torch.bfloat16, enabled=autocast):
            y = self.g_a(x).float() * gain
            z = self.h_a(y).float()
        z_noisy, z_likelihoods = self.entropy_bottleneck(z)
        medians = self.entropy_bottleneck._get_medians()
        z_hat = _ste_round(z - medians) + medians
        with torch.autocast(device, dtype=torch.bfloat16, enabled=autocast):
            params = self.h_s(z_hat).float()
        scales, means = self.latent_parameters(y, params, autocast)
        _, y_likelihoods = self.gaussian_conditional(y, scales, means=means)
        y_hat = _ste_round(y - means) + means
        with torch.autocast(device, dtype=torch.bfloat16, enabled=autocast):
            x_hat = self.g_s(y_hat * inverse_gain).float()
        return TrainOutput(x_hat, y_likelihoods, z_likelihoods, self.aux_loss())

    def latent_parameters(self, y: Tensor, params: Tensor, autocast: bool = True) -> tuple[Tensor, Tensor]:
        """``(scales, means)`` of ``y`` given the hyperprior's ``params`` (``h_s``'s
        output), after the context model in the decoder's order: the anchors
        (channel group by group), then the non-anchors with the checkerboard
        context of all decoded anchors (group by group again)."""
        scales, means = params.chunk(2, dim=1)
        if self.context is None:
            return scales, means
        anchors = anchor_mask(y.shape[2], y.shape[3], y.device)
        scales, means, y_anchors = self._half(y, scales, means, anchors, autocast)
        with torch.autocast(y.device.type, dtype=torch.bfloat16, enabled=autocast):
            correction = self.context(y_anchors, torch.cat([scales, means], dim=1)).float()
        d_scales, d_means = (correction * ~anchors).chunk(2, dim=1)
        scales, means, _ = self._half(y, scales + d_scales, means + d_means, ~anchors, autocast)
        return scales, means

    def _half(self, y: Tensor, scales: Tensor, means: Tensor, half: Tensor,
              autocast: bool) -> tuple[Tensor, Tensor, Tensor]:
        """One checkerboard half, channel group by group (the decoder's order):
        ``(scales, means)`` corrected at ``half`` and ``ŷ`` there (zero elsewhere)."""
        if self.channel_context is None:
            return scales, means, (_ste_round(y - means) + means) * half
        cc = self.channel_context
        out_scales, out_means, decoded = [], [], []
        for g in range(cc.groups):
            s, mu = scales[:, cc.channels(g)], means[:, cc.channels(g)]
            if g > 0:
                with torch.autocast(y.device.type, dtype=torch.bfloat16, enabled=autocast):
                    correction = cc.nets[g - 1](torch.cat([s, mu, *decoded], dim=1)).float()
                d_s, d_mu = (correction * half).chunk(2, dim=1)
                s, mu = s + d_s, mu + d_mu
            out_scales.append(s)
            out_means.append(mu)
            decoded.append((_ste_round(y[:, cc.channels(g)] - mu) + mu) * half)
        return torch.cat(out_scales, dim=1), torch.cat(out_means, dim=1), torch.cat(decoded, dim=1)

    def aux_loss(self) -> Tensor:
        """Quantile loss of the factorized prior (trained with its own optimizer)."""
        return self.entropy_bottleneck.loss()
