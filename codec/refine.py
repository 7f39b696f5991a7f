"""Encoder effort: refine each image's latents before coding them.

The analysis transform ``g_a`` is a fast, *amortised* guess of the latents that
code an image best: one network for every image. With ``effort > 0`` the
encoder improves that guess for the image at hand by gradient descent on its
own rate–distortion cost, ``λ(quality)·255²·MSE + bits/pixel`` — the training
loss, with the image's own pixels as the only training example (latent
refinement: Campos et al., "Content Adaptive Optimization for Neural Image
Compression", CVPRW 2019; Yang et al., "Improving Inference for Neural Image
Compression", NeurIPS 2020).

* The hyper-latents ``ẑ`` stay those of the analysed ``y`` (so the exact
  entropy parameters are known), and only ``y`` moves. With a checkerboard
  context the non-anchors' parameters follow the current anchors (recomputed
  exactly at each step; no gradient flows through them).
* Rate: the Gaussian bits of ``y`` around the exact means, with the exact
  scales (continuous relaxation); distortion: ``g_s`` on the straight-through
  rounded ``ŷ`` (rounded as the coder rounds), as in training — on the
  unclamped float output, where the decoder clamps and rounds to 8 bits.
  Adam, cosine-decayed step size.
* Each tile is refined on its own pixels. The decoder is untouched: the result
  is an ordinary file, and every reader decodes it the same way.

The cost is encoder time (``iterations`` passes of ``g_s`` forward and
backward) and memory (``g_s``'s activations for one tile); the gain is measured
by ``python -m benchmarks.rd --codecs aecodec,aecodec-e1,aecodec-e2,jpeg,avif
--every 6 --out benchmarks/results/effort`` (README, *Results*). Refinement is deterministic on
the CPU for a given machine configuration (CUDA's backward pass is not).
"""

from __future__ import annotations

import math
from numbers import Integral
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch loads with the models, not with ``import aecodec``
    from torch import Tensor

#: Refinement iterations for each effort level (0 = the analysis transform alone).
EFFORT_ITERATIONS: dict[int, int] = {0: 0, 1: 20, 2: 50}
#: The effort levels ``encode`` accepts.
EFFORT_LEVELS: tuple[int, ...] = tuple(sorted(EFFORT_ITERATIONS))
#: Adam step size at the start (latent units; a quantization step is 1), cosine-decayed to 0.
STEP_SIZE = 0.006


def check_effort(effort: object) -> int:
    """``effort`` as an int among :data:`EFFORT_ITERATIONS`, or ``InvalidInputError``."""
    from .errors import InvalidInputError

    if isinstance(effort, bool) or not isinstance(effort, Integral) or int(effort) not in EFFORT_ITERATIONS:
        raise InvalidInputError(f"effort must be one of {list(EFFORT_LEVELS)}, got {effort!r}")
    return int(effort)


def _bits(y: Tensor, means: Tensor, scales: Tensor) -> Tensor:
    """Bits of ``y`` under the discretised Gaussian (symmetric form, as CompressAI's)."""
    from torch.special import ndtr  # the standard normal CDF

    v = (y - means).abs()
    p = ndtr((0.5 - v) / scales) - ndtr((-0.5 - v) / scales)
    return -p.clamp_min(1e-9).log2().sum()


def _float_parameters(params, scale_min: float) -> tuple[Tensor, Tensor, Tensor]:
    """``(means as float64, means, scales)`` of exact entropy parameters, for the loss."""
    import torch

    from .models.fixed_point import ACT_BITS

    means64 = params.means_fixed.to(torch.float64) / 2**ACT_BITS
    scales = (params.scales_fixed.to(torch.float64) / 2**ACT_BITS).float().clamp_min(scale_min)
    return means64, means64.float(), scales


def refine_latents(model, y: Tensor, z_symbols: Tensor, target: Tensor, quality: float,
                   iterations: int) -> Tensor:
    """``y`` (gained, ``[1, M, h, w]``) after ``iterations`` steps on the image's RD cost.

    ``target`` is the tile's pixels ``[1, 3, H, W]`` in [0, 1] (unpadded; ``H``,
    ``W`` ≤ 16·h, 16·w); ``z_symbols`` the coded hyper-latents, which fix the
    exact entropy parameters. With a checkerboard context the non-anchors'
    parameters depend on the anchors' symbols: they are recomputed (exactly, as
    the coder will) from the current latents at every step.
    """
    import torch

    from .models.hyperprior import SCALE_MIN

    if iterations <= 0:
        return y
    lam = model.rd_lambda(quality)
    base = model.entropy_parameters(z_symbols, y.shape[2:])
    means64, means, scales = _float_parameters(base, SCALE_MIN)
    _, inverse_gain = model._log_gains(quality)
    height, width = target.shape[2:]
    pixels = height * width
    start = y.detach().float().clone().requires_grad_(True)
    opt = torch.optim.Adam([start], lr=STEP_SIZE)
    bf16 = model.precision == "bf16"
    with torch.enable_grad():
        for it in range(iterations):
            for group in opt.param_groups:
                group["lr"] = STEP_SIZE * 0.5 * (1 + math.cos(math.pi * it / iterations))
            if model.has_context:
                _, params = model.quantize_latents(start.detach(), z_symbols, base)
                means64, means, scales = _float_parameters(params, SCALE_MIN)
            # ŷ as the coder makes it: floor(y − mean + ½) + mean, in float64 (kernels.quantize)
            rounded = (torch.floor(start.detach().double() - means64 + 0.5) + means64).float()
            y_hat = start + (rounded - start).detach()
            with torch.autocast(start.device.type, dtype=torch.bfloat16, enabled=bf16):
                x_hat = model.g_s((y_hat * inverse_gain).contiguous(memory_format=torch.channels_last))
            mse = (x_hat.float()[:, :, :height, :width] - target).pow(2).mean()
            loss = lam * 255.0**2 * mse + _bits(start, means, scales) / pixels
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return start.detach()
