"""Growing a trained model's latent channels M, keeping what it computes.

``aecodec train --init WEIGHTS --latent-channels M`` with ``M`` larger than the
weights' uses :func:`grow_latents`: every trained weight moves to its channel's
new place and every new channel is added so that, at the start,

* ``x̂`` is what the old model synthesises (``g_s`` reads the new channels with
  zero weights),
* ``z`` and the old channels' (scales, means) are the old ones (``h_a``, the
  context convolution and the channel-group networks read the new channels,
  and the new hidden units of ``h_s`` and the context, with zero weights),

while the new channels of ``y`` come from freshly initialised (and scaled
down, :data:`NEW_ROWS_SCALE`) rows of ``g_a``'s last layer. So the grown model starts with the old one's distortion,
pays a few bits for the new channels, and the gradient through the zero
weights (whose inputs are not zero) teaches it what to do with them. Zeroing
both sides of a new channel would leave it dead: its gradient would be zero.

With channel groups, each group grows by the same number of channels: old
channel ``j`` of group ``g`` becomes channel ``j`` of new group ``g``, and the
new channels fill each group's end.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..models.hyperprior import ModelConfig, VariableRateHyperprior

#: The new rows of ``g_a``'s last layer are its fresh initialisation times this, and
#: ``h_s`` predicts each new channel's scale as this share of the old channels' mean
#: prediction. Measured on 8 training crops with model 11 grown to 320 channels: the
#: new channels then cost 0.0 / 1.0 / 3.8 / 6.8 % more bits at rate levels 0 / 2.5 /
#: 4 / 5 and carry non-zero symbols at the high levels (so they learn). With both at
#: 1.0 they cost 9 / 25 / 38 / 46 %; with rows 0.3 and scales 0.1, nothing, but then
#: every new symbol is zero and the new channels get no gradient.
NEW_ROWS_SCALE = 0.3
NEW_SCALES_SHARE = 0.3


def latent_places(m_old: int, m_new: int, groups: int) -> Tensor:
    """New index of each old latent channel (channel groups keep their channels)."""
    if m_new % groups or m_old % groups:
        raise ValueError(f"{m_old} and {m_new} latent channels must both split into {groups} groups")
    old, new = m_old // groups, m_new // groups
    return torch.cat([g * new + torch.arange(old) for g in range(groups)])


def _params_places(places: Tensor, m_new: int) -> Tensor:
    """``scales ‖ means`` layout: old channel c's scale and mean."""
    return torch.cat([places, m_new + places])


def _place(new: Tensor, old: Tensor, out: Tensor | None, inp: Tensor | None,
           transposed: bool = False, zero_new_outputs: bool = False) -> Tensor:
    """``new`` (freshly initialised) with ``old``'s weights at rows ``out`` and columns
    ``inp`` (None: the same size); columns for new inputs are zero, and so are rows for
    new outputs when ``zero_new_outputs``. ``transposed``: a ConvTranspose weight
    ``[in, out, …]``."""
    w = new.clone()
    if old.dim() == 1:  # a bias: outputs only
        if zero_new_outputs:
            w.zero_()
        w[out if out is not None else slice(None)] = old
        return w
    if transposed:
        w = w.transpose(0, 1)
        old = old.transpose(0, 1)
    if inp is not None:
        w[:, _complement(inp, w.shape[1])] = 0
    if zero_new_outputs and out is not None:
        w[_complement(out, w.shape[0])] = 0
    rows = out if out is not None else torch.arange(w.shape[0])
    cols = inp if inp is not None else torch.arange(w.shape[1])
    w[rows[:, None], cols[None, :]] = old
    return w.transpose(0, 1) if transposed else w


def _complement(places: Tensor, size: int) -> Tensor:
    keep = torch.ones(size, dtype=torch.bool)
    keep[places] = False
    return keep.nonzero().flatten()


def _layout(old_model: VariableRateHyperprior, new_model: VariableRateHyperprior) -> dict:
    """For each weight whose shape M changes: (rows, columns, transposed, zero new rows)."""
    m_old, m_new = old_model.config.m, new_model.config.m
    groups = new_model.config.channel_groups
    lat = latent_places(m_old, m_new, groups)
    par = _params_places(lat, m_new)
    first = torch.arange  # the old hidden units keep their places at the start
    layout = {
        f"g_a.{_last_index(old_model.g_a)}": (lat, None, False, False),
        "g_s.0": (None, lat, True, False),
        "h_a.0": (None, lat, False, False),
        "h_s.2": (first(m_old * 3 // 2), None, True, False),
        "h_s.4": (par, first(m_old * 3 // 2), False, True),  # new rows: _typical_new_scales
    }
    if old_model.context is not None:
        layout.update({
            "context.context": (first(2 * m_old), lat, False, False),
            "context.fuse.0": (first(2 * m_old), torch.cat([par, 2 * m_new + first(2 * m_old)]),
                               False, False),
            "context.fuse.2": (par, first(2 * m_old), False, True),
        })
    if old_model.channel_context is not None:
        s_old, s_new = m_old // groups, m_new // groups
        own = _params_places(first(s_old), s_new)
        for g in range(1, groups):
            earlier = torch.cat([2 * s_new + k * s_new + first(s_old) for k in range(g)])
            layout[f"channel_context.nets.{g - 1}.0"] = (first(2 * s_old), torch.cat([own, earlier]),
                                                         False, False)
            layout[f"channel_context.nets.{g - 1}.2"] = (own, first(2 * s_old), False, True)
    return layout


def check_blocks(residual_blocks: int, analysis_blocks: int, config: ModelConfig) -> None:
    """Weights with these block counts can start ``config``'s model only if it has at
    least as many (its extra blocks start as the identity); else a ValueError naming
    the flag."""
    for have, want, flag in ((residual_blocks, config.residual_blocks, "residual-blocks"),
                             (analysis_blocks, config.analysis_blocks, "analysis-blocks")):
        if want < have:
            raise ValueError(f"the weights have {have} residual blocks where this model has "
                             f"{want}; start with at least --{flag} {have}")


def _last_index(transform) -> int:
    return max(int(k.split(".")[0]) for k, _ in transform.named_parameters() if k.split(".")[0].isdigit())


def _typical_new_scales(grown: dict, old_state: dict, lat: Tensor, m_new: int) -> None:
    """``h_s`` predicts each new channel's scale as :data:`NEW_SCALES_SHARE` of the old
    channels' mean prediction (mean of their rows) and its mean as zero, rather than
    from random rows."""
    m_old = len(lat)
    new = _complement(lat, m_new)  # their rows are zero (the layout zeroes new outputs)
    hidden = old_state["h_s.4.weight"].shape[1]
    grown["h_s.4.weight"][new, :hidden] = old_state["h_s.4.weight"][:m_old].mean(dim=0) * NEW_SCALES_SHARE
    grown["h_s.4.bias"][new] = old_state["h_s.4.bias"][:m_old].mean() * NEW_SCALES_SHARE


def grow_latents(old_model: VariableRateHyperprior, new_model: VariableRateHyperprior,
                 new_scale: float = NEW_ROWS_SCALE) -> None:
    """Load ``old_model``'s weights into ``new_model``, which has more latent channels
    (and otherwise the same architecture, or more residual blocks, which start as the
    identity). The new rows of ``g_a``'s last layer are scaled by ``new_scale``. See the
    module docstring for what is preserved."""
    old_cfg, new_cfg = old_model.config, new_model.config
    if new_cfg.m <= old_cfg.m:
        raise ValueError(f"the weights have {old_cfg.m} latent channels and the model {new_cfg.m}; "
                         f"start with --latent-channels {old_cfg.m} (or more, to grow them)")
    for field in ("n", "lambdas", "context", "channel_groups"):
        if getattr(old_cfg, field) != getattr(new_cfg, field):
            raise ValueError(f"growing latents keeps {field}: the weights have "
                             f"{getattr(old_cfg, field)!r}, the model {getattr(new_cfg, field)!r}")
    check_blocks(old_cfg.residual_blocks, old_cfg.analysis_blocks, new_cfg)
    lat = latent_places(old_cfg.m, new_cfg.m, new_cfg.channel_groups)
    old_state, state = old_model.state_dict(), new_model.state_dict()
    layout = _layout(old_model, new_model)
    grown = {}
    for key, value in state.items():
        if key not in old_state:
            continue  # new residual blocks keep their identity initialisation
        old = old_state[key]
        if old.shape == value.shape:
            grown[key] = old.clone()
        elif key in ("log_gain", "log_inverse_gain"):
            gains = old.mean(dim=1, keepdim=True).repeat(1, new_cfg.m)  # new channels: the mean
            gains[:, lat] = old
            grown[key] = gains
        else:
            module, kind = key.rsplit(".", 1)
            if module not in layout:
                raise ValueError(f"don't know how to grow {key} from {tuple(old.shape)} "
                                 f"to {tuple(value.shape)}")
            rows, cols, transposed, zero_rows = layout[module]
            grown[key] = _place(value, old, rows, cols if kind == "weight" else None, transposed,
                                zero_rows)
    _typical_new_scales(grown, old_state, lat, new_cfg.m)
    last = f"g_a.{_last_index(old_model.g_a)}"
    new_rows = _complement(lat, new_cfg.m)
    grown[f"{last}.weight"][new_rows] *= new_scale
    grown[f"{last}.bias"][new_rows] *= new_scale
    missing = [k for k in old_state if k not in state]
    if missing:
        raise ValueError(f"the weights have parameters the grown model lacks: {missing[:3]}")
    new_model.load_state_dict(grown, strict=False)
