"""The inference model: the contract every shipped aecodec model implements.

    analyse(x, quality)              → y (gained), float, encoder only
    code_latents(y)                  → LatentStreams (z and y byte strings + shapes)
    decode_latents(streams)          → ŷ, exact (identical on every machine)
    synthesise(ŷ, quality)           → x̂, float

``code_latents`` and ``decode_latents`` share :meth:`entropy_parameters`, which
runs the integer hyper-synthesis, and (models with a checkerboard context,
:mod:`aecodec.models.context`) :meth:`context_parameters`, which runs the
integer context network on the decoded anchors; so the symbols' coding
parameters are bit-identical in encoder and decoder.

Order of ŷ's symbols in its stream: hyperprior models code them in (channel,
row, column) order; context models code every anchor first, then every
non-anchor, each half in (channel, row, column) order.

The transforms ``g_a`` and ``g_s`` run in bfloat16 where the hardware computes it natively (as the model was trained) and
in float32 elsewhere (:func:`transform_precision`); neither decides how a symbol
is coded, so the choice changes pixels by a fraction of a level, never ŷ (see
:mod:`aecodec.models.fixed_point` for why the coding path is integer).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import Tensor, nn

from .. import kernels
from ..entropy import CdfTables
from ..errors import InvalidInputError
from . import QUALITY_MAX, QUALITY_MIN, STRIDE, Y_STRIDE, transforms
from .context import anchor_mask, channel_groups, fixed_correction
from .fixed_point import ACT_BITS, FixedLayer, run_fixed, run_float



#: Environment variable that forces the transforms' precision: ``fp32``, ``bf16`` or ``auto``.
PRECISION_ENV = "AECODEC_TRANSFORMS"
#: oneDNN's instruction-set cap, and the caps under which it computes bfloat16 natively.
_ISA_ENV = "ONEDNN_MAX_CPU_ISA"
_BF16_ISAS = frozenset({
    "ALL", "DEFAULT", "AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX512_CORE_AMX",
    "AVX512_CORE_AMX_FP16", "AVX10_1_512", "AVX10_1_512_AMX", "AVX10_1_512_AMX_FP16",
})


def transform_precision(device: torch.device | str) -> str:
    """``"bf16"`` where ``device`` computes bfloat16 natively, else ``"fp32"``.

    On the CPU, "natively" means the CPU has AVX512-BF16 or AMX and oneDNN is not
    capped below them by ``ONEDNN_MAX_CPU_ISA`` (``AVX2`` there runs the transforms
    in fp32, as a machine without bf16 would).

    ``AECODEC_TRANSFORMS=fp32`` (or ``bf16``) in the environment overrides the choice;
    it is read when a model is first loaded in the process.
    """
    forced = os.environ.get(PRECISION_ENV, "auto").strip().lower()
    if forced in ("fp32", "bf16"):
        return forced
    if forced != "auto":
        raise InvalidInputError(f"{PRECISION_ENV} must be fp32, bf16 or auto, got {forced!r}")
    device = torch.device(device)
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported(including_emulation=False) else "fp32"
    native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    if os.environ.get(_ISA_ENV, "DEFAULT").strip().upper() not in _BF16_ISAS:
        native = False  # oneDNN capped below bf16 (as on an AVX2 machine): it would emulate it
    return "bf16" if native else "fp32"  # elsewhere bf16 is emulated, slower than fp32


@dataclass
class LatentStreams:
    """Entropy-coded latents of one tile: shapes are ``(channels, height, width)``."""

    z_shape: tuple[int, int, int]
    y_shape: tuple[int, int, int]
    z_bytes: bytes
    y_bytes: bytes


@dataclass
class EntropyParameters:
    """Exact coding parameters of ŷ on the ``2**-ACT_BITS`` grid (int64)."""

    indexes: Tensor
    means_fixed: Tensor
    scales_fixed: Tensor


class CodecModel(nn.Module):
    """A frozen, exported variable-rate hyperprior ready to code images."""

    def __init__(self, n: int, m: int, levels: int, hs_layers: list[FixedLayer],
                 z_tables: CdfTables, z_medians_fixed: Tensor, y_tables: CdfTables,
                 scale_thresholds: Tensor, context_layers: list[FixedLayer] | None = None,
                 fuse_layers: list[FixedLayer] | None = None,
                 channel_layers: list[list[FixedLayer]] | None = None,
                 residual_blocks: int = 0, analysis_blocks: int = 0) -> None:
        super().__init__()
        self.n, self.m, self.levels = n, m, levels
        self.g_a = transforms.analysis(n, m, residual_blocks, analysis_blocks)
        self.g_s = transforms.synthesis(n, m, residual_blocks)
        self.h_a = transforms.hyper_analysis(n, m)
        self.log_gain = nn.Parameter(torch.zeros(levels, m), requires_grad=False)
        self.log_inverse_gain = nn.Parameter(torch.zeros(levels, m), requires_grad=False)
        self.hs_layers = hs_layers
        #: Checkerboard context (None: plain hyperprior): the 5×5 context convolution and
        #: the fusion layers, integer like ``hs_layers``.
        self.context_layers = context_layers
        self.fuse_layers = fuse_layers
        #: Channel-group networks of groups 1, 2, … (empty: one group), integer too.
        self.channel_layers = channel_layers or []
        self.z_tables = z_tables
        self.z_medians_fixed = z_medians_fixed.to(torch.int64)  # [n]
        self.y_tables = y_tables
        self.scale_thresholds = scale_thresholds.to(torch.int64)
        self.precision = "fp32"  # of g_a and g_s; the loader picks transform_precision()
        self.requires_grad_(False)
        self.eval()

    def _transform(self, net: nn.Module, x: Tensor, channels_last: bool) -> Tensor:
        """Run ``g_a`` or ``g_s`` in :attr:`precision`; the result is float32."""
        if channels_last:  # measured faster for g_s (transposed convolutions) in both precisions
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            out = net(x)
        return out.float().contiguous()

    # -- rate ------------------------------------------------------------
    def _level_position(self, quality: float) -> tuple[int, float]:
        """The rate level below ``quality`` and the fraction of the way to the next."""
        pos = (quality - QUALITY_MIN) / (QUALITY_MAX - QUALITY_MIN) * (self.levels - 1)
        low = min(int(pos), self.levels - 2)
        return low, pos - low

    def rd_lambda(self, quality: float) -> float:
        """The training λ at ``quality``, interpolated geometrically like the gains."""
        low, t = self._level_position(quality)
        lambdas = self.config["lambdas"]
        return math.exp(math.log(lambdas[low]) * (1 - t) + math.log(lambdas[low + 1]) * t)

    def _log_gains(self, quality: float) -> tuple[Tensor, Tensor]:
        low, t = self._level_position(quality)
        g = self.log_gain[low] * (1 - t) + self.log_gain[low + 1] * t
        ig = self.log_inverse_gain[low] * (1 - t) + self.log_inverse_gain[low + 1] * t
        return g.exp()[None, :, None, None], ig.exp()[None, :, None, None]

    # -- encoder ---------------------------------------------------------
    @torch.no_grad()
    def analyse(self, x: Tensor, quality: float) -> Tensor:
        """Padded image ``[1, 3, H, W]`` in [0, 1] → gained latent ``y`` (float32)."""
        return self.apply_gain(self.analyse_ungained(x), quality)

    @torch.no_grad()
    def analyse_ungained(self, x: Tensor) -> Tensor:
        """``g_a`` alone: one analysis serves every quality (see :meth:`apply_gain`)."""
        return self._transform(self.g_a, x, channels_last=False)

    def apply_gain(self, y_ungained: Tensor, quality: float) -> Tensor:
        """Scale ``g_a``'s output for ``quality`` (so one analysis serves many qualities)."""
        gain, _ = self._log_gains(quality)
        return y_ungained * gain

    @torch.no_grad()
    def entropy_parameters(self, z_symbols: Tensor,
                           y_size: tuple[int, int] | None = None) -> EntropyParameters:
        """Exact scale indexes and means of ŷ from the integer z symbols ``[1, n, h, w]``.

        ``y_size``: ŷ's ``(height, width)`` where it is smaller than ``(4h, 4w)``
        (a tile on the 16-pixel latent grid, :func:`aecodec.tiling.latent_grid`):
        the hyper-synthesis output is cropped to it (its top-left corner).
        """
        z_fixed = z_symbols.to(torch.int64) * 2**ACT_BITS + self.z_medians_fixed[None, :, None, None]
        params = run_fixed(self.hs_layers, z_fixed)
        if y_size is not None:
            params = params[:, :, :y_size[0], :y_size[1]]
        return self._coding_parameters(params)

    def _z_indexes(self, shape: tuple[int, int, int]) -> np.ndarray:
        c, h, w = shape
        return np.broadcast_to(np.arange(c, dtype=np.int32)[:, None, None], (c, h, w)).copy()

    @torch.no_grad()
    def hyper_symbols(self, y: Tensor) -> Tensor:
        """The integer hyper-latent symbols ``ẑ − median`` of a gained latent ``y``."""
        medians = self.z_medians_fixed.to(torch.float64)[None, :, None, None] / 2**ACT_BITS
        return kernels.quantize(self.h_a(y), medians)

    @property
    def has_context(self) -> bool:
        """Whether ŷ is coded in two halves with a checkerboard context (:mod:`.context`)."""
        return self.context_layers is not None

    def _coding_parameters(self, params_fixed: Tensor) -> EntropyParameters:
        """Split ``scales ‖ means`` (2**-8 grid) and choose each element's table row."""
        scales_fixed, means_fixed = params_fixed.chunk(2, dim=1)
        return EntropyParameters(kernels.scale_index(scales_fixed, self.scale_thresholds), means_fixed,
                                 scales_fixed)

    @torch.no_grad()
    def context_parameters(self, params: EntropyParameters, y_symbols: Tensor) -> EntropyParameters:
        """Parameters of every ŷ element given all its symbols (context models).

        ``params``: the hyperprior's (:meth:`entropy_parameters`). Each element's
        parameters depend only on the symbols coded before it (:meth:`_code_in_order`).
        """
        return self._code_in_order(params, lambda half, channels, _: y_symbols[:, channels][:, :, half])[1]

    @torch.no_grad()
    def quantize_latents(self, y: Tensor, z_symbols: Tensor, params: EntropyParameters | None = None,
                         coded: list[tuple[Tensor, Tensor]] | None = None
                         ) -> tuple[Tensor, EntropyParameters]:
        """The integer symbols of ``y`` and the exact parameters each is coded with.

        ``params``: the hyperprior's parameters of ``z_symbols``, if already computed.
        ``coded``: if given, receives ``(symbols, table rows)`` of each part in
        stream order (:meth:`_code_in_order`): the y stream is their concatenation.
        """
        params = self.entropy_parameters(z_symbols, y.shape[2:]) if params is None else params
        coded = [] if coded is None else coded
        if not self.has_context:
            symbols = kernels.quantize(y, params.means_fixed.to(torch.float64) / 2**ACT_BITS)
            coded.append((symbols, params.indexes))
            return symbols, params

        def quantize(half: Tensor, channels: slice, p: EntropyParameters) -> Tensor:
            symbols = kernels.quantize(y[:, channels][:, :, half], p.means_fixed.to(torch.float64) / 2**ACT_BITS)
            coded.append((symbols, p.indexes))
            return symbols

        return self._code_in_order(params, quantize)

    def float_parameters(self, y: Tensor, scales: Tensor, means: Tensor) -> tuple[Tensor, Tensor]:
        """The walk of :meth:`_code_in_order` in plain float32, differentiable in ``y``.

        ``scales``, ``means``: the hyperprior's, float ``[1, m, H, W]`` in latent
        units. Each part is conditioned on ŷ = round(y − mean) + mean of the
        parts before it (rounded as the coder rounds, in float64, with a
        straight-through gradient), so the rate of the later parts pulls on the
        earlier latents. Returns every element's ``(scales, means)``.

        Not bit-exact (float convolutions, :func:`~.fixed_point.run_float`):
        for estimates (the exact path's benchmark), never to code or decode a
        file. (Refinement does not use its gradient: a straight-through
        gradient through the context measured worse there; see README.)
        """
        if not self.has_context:
            return scales, means
        anchors = anchor_mask(y.shape[2], y.shape[3], y.device)
        scales, means, y_hat = self._float_half(y, scales, means, anchors)
        context = run_float(self.context_layers, y_hat * 2**ACT_BITS)
        base = torch.cat([scales, means], dim=1)
        correction = run_float(self.fuse_layers, torch.cat([base, context], dim=1) * 2**ACT_BITS)
        scales, means = torch.where(anchors, base, base + correction).chunk(2, dim=1)
        scales, means, _ = self._float_half(y, scales, means, ~anchors)
        return scales, means

    def _float_half(self, y: Tensor, scales: Tensor, means: Tensor,
                    half: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """One half of :meth:`float_parameters`, group by group: the corrected
        ``(scales, means)`` and ŷ at ``half`` (zero elsewhere)."""
        out_s, out_mu, decoded = [], [], []
        for g, channels in enumerate(channel_groups(self.m, len(self.channel_layers) + 1)):
            s, mu = scales[:, channels], means[:, channels]
            if g > 0:  # 1×1 networks: run everywhere, keep at ``half``
                inputs = torch.cat([s, mu, *decoded], dim=1) * 2**ACT_BITS
                d_s, d_mu = run_float(self.channel_layers[g - 1], inputs).chunk(2, dim=1)
                s, mu = torch.where(half, s + d_s, s), torch.where(half, mu + d_mu, mu)
            y_g = y[:, channels]
            rounded = (torch.floor(y_g.detach().double() - mu.detach().double() + 0.5)
                       + mu.detach().double()).float()
            decoded.append((y_g + (rounded - y_g).detach()) * half)
            out_s.append(s)
            out_mu.append(mu)
        return torch.cat(out_s, dim=1), torch.cat(out_mu, dim=1), torch.cat(decoded, dim=1)

    def _code_in_order(self, params: EntropyParameters,
                       take: Callable[[Tensor, slice, EntropyParameters], Tensor]
                       ) -> tuple[Tensor, EntropyParameters]:
        """Walk a context model's coding order, computing each part's exact parameters
        from the symbols before it (encoder and decoder share this walk).

        Order: the anchors, then the non-anchors (:func:`~.context.anchor_mask`);
        within each half, channel group after channel group (one group without
        channel groups). ``take(half, channels, p)`` returns the int64 symbols
        ``[1, c, N]`` of ``channels`` at the ``N`` positions of ``half`` (``[H, W]``
        bool, row-major), given their parameters ``p`` (packed the same way): the
        encoder quantizes ``y``, the decoder reads its stream. The order of the
        ``take`` calls is the y stream's order (each part channel-major, then
        row-major). Returns every symbol ``[1, m, H, W]`` and its parameters.
        """
        scales, means = params.scales_fixed.clone(), params.means_fixed.clone()
        indexes, symbols = params.indexes.clone(), torch.zeros_like(means)
        anchors = anchor_mask(means.shape[2], means.shape[3], means.device)[0, 0]
        self._code_half(anchors, scales, means, indexes, symbols, take)
        anchor_values = (symbols * 2**ACT_BITS + means) * anchors
        correction = fixed_correction(self.context_layers, self.fuse_layers, anchor_values,
                                      torch.cat([scales, means], dim=1))
        d_scales, d_means = correction.chunk(2, dim=1)  # zero at the anchors
        scales += d_scales
        means += d_means
        self._code_half(~anchors, scales, means, indexes, symbols, take)
        return symbols, EntropyParameters(indexes, means, scales)

    def _code_half(self, half: Tensor, scales: Tensor, means: Tensor, indexes: Tensor,
                   symbols: Tensor, take: Callable) -> None:
        """One half of :meth:`_code_in_order`, group by group; fills the ``[1, m, H, W]``
        tensors ``scales``, ``means``, ``indexes`` and ``symbols`` at ``half`` in place."""
        if not bool(half.any()):  # a single latent position (16-pixel grid): no non-anchors
            return
        s, mu = scales[:, :, half], means[:, :, half]  # packed [1, m, N]
        idx, sym = indexes[:, :, half], symbols[:, :, half]
        decoded = []
        for g, channels in enumerate(channel_groups(self.m, len(self.channel_layers) + 1)):
            if g > 0:
                inputs = torch.cat([s[:, channels], mu[:, channels], *decoded], dim=1)
                correction = run_fixed(self.channel_layers[g - 1], inputs[:, :, None])[:, :, 0]
                d_s, d_mu = correction.chunk(2, dim=1)
                s[:, channels] += d_s
                mu[:, channels] += d_mu
            p = self._coding_parameters(torch.cat([s[:, channels], mu[:, channels]], dim=1))
            idx[:, channels] = p.indexes
            sym[:, channels] = take(half, channels, p).to(torch.int64)
            decoded.append(sym[:, channels] * 2**ACT_BITS + mu[:, channels])
        scales[:, :, half], means[:, :, half] = s, mu
        indexes[:, :, half], symbols[:, :, half] = idx, sym

    @torch.no_grad()
    def code_latents(self, y: Tensor, z_symbols: Tensor | None = None) -> LatentStreams:
        """Quantize and entropy-code a gained latent ``y`` of shape ``[1, m, h, w]``.

        ``z_symbols`` (default: :meth:`hyper_symbols` of ``y``) lets an encoder keep
        the hyper-latents of an earlier ``y`` (see :mod:`aecodec.refine`).
        """
        if z_symbols is None:
            z_symbols = self.hyper_symbols(y)
        z_shape = tuple(z_symbols.shape[1:])
        z_bytes = self.z_tables.encode(z_symbols.cpu().numpy(), self._z_indexes(z_shape))
        coded: list[tuple[Tensor, Tensor]] = []
        y_symbols, _ = self.quantize_latents(y, z_symbols, coded=coded)
        symbols = np.concatenate([part.cpu().numpy().ravel() for part, _ in coded])
        indexes = np.concatenate([rows.cpu().numpy().ravel() for _, rows in coded])
        y_bytes = self.y_tables.encode(symbols, indexes)
        return LatentStreams(z_shape, tuple(y_symbols.shape[1:]), z_bytes, y_bytes)

    # -- decoder ---------------------------------------------------------
    @torch.no_grad()
    def decode_symbols(self, streams: LatentStreams) -> tuple[Tensor, Tensor, EntropyParameters]:
        """Entropy-decode ``(z_symbols, y_symbols, parameters of ŷ)``, each ``[1, …]`` on
        the model's device (the parameters after the context correction, if any)."""
        z_symbols = self.z_tables.decode(streams.z_bytes, self._z_indexes(streams.z_shape))
        z_symbols = torch.from_numpy(z_symbols)[None].to(self.device)
        params = self.entropy_parameters(z_symbols, streams.y_shape[1:])
        stream = self.y_tables.stream(streams.y_bytes)
        if not self.has_context:
            y_symbols = torch.from_numpy(stream.decode(params.indexes[0].cpu().numpy()))
            return z_symbols, y_symbols[None].to(self.device), params

        def read(half: Tensor, channels: slice, p: EntropyParameters) -> Tensor:
            rows = p.indexes[0].cpu().numpy()
            return torch.from_numpy(stream.decode(rows))[None].to(self.device)

        y_symbols, params = self._code_in_order(params, read)
        return z_symbols, y_symbols, params

    @torch.no_grad()
    def decode_latents(self, streams: LatentStreams) -> Tensor:
        """Entropy-decode ŷ exactly; returns float64 ``[1, m, h, w]`` on the 2**-8 grid."""
        _, y_symbols, params = self.decode_symbols(streams)
        y_fixed = y_symbols * 2**ACT_BITS + params.means_fixed
        return y_fixed.to(torch.float64) / 2**ACT_BITS

    @torch.no_grad()
    def synthesise(self, y_hat: Tensor, quality: float) -> Tensor:
        """ŷ → reconstructed image ``[1, 3, H, W]`` (unclamped float32)."""
        _, inverse_gain = self._log_gains(quality)
        return self._transform(self.g_s, y_hat.float() * inverse_gain, channels_last=True)

    @property
    def device(self) -> torch.device:
        return self.log_gain.device

    def moved(self, device: str) -> "CodecModel":
        """A copy of this model on ``device`` (transforms and exact-path integers)."""
        import copy
        from dataclasses import replace

        other = copy.deepcopy(self).to(device)
        other.precision = transform_precision(device)
        def move(layers):
            return None if layers is None else [
                replace(l, weight=l.weight.to(device), bias=l.bias.to(device)) for l in layers]

        other.hs_layers = move(self.hs_layers)
        other.context_layers, other.fuse_layers = move(self.context_layers), move(self.fuse_layers)
        other.channel_layers = [move(layers) for layers in self.channel_layers]
        other.z_medians_fixed = self.z_medians_fixed.to(device)
        other.scale_thresholds = self.scale_thresholds.to(device)
        return other

    def latent_shapes(self, height: int, width: int, grid: int = STRIDE
                      ) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
        """Expected ``(z_shape, y_shape)`` for a tile of ``height × width`` pixels on the
        latent ``grid`` (64, or 16: :func:`aecodec.tiling.latent_grid`)."""
        ph = -(-height // grid) * grid
        pw = -(-width // grid) * grid
        ys = (self.m, ph // Y_STRIDE, pw // Y_STRIDE)
        zs = (self.n, -(-ph // STRIDE), -(-pw // STRIDE))
        return zs, ys
