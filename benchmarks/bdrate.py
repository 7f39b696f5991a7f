"""Bjøntegaard delta rate (DESIGN §7).

log10(rate) is modelled as a piecewise-cubic monotone (pchip) function of
PSNR for each codec; the difference of the two is integrated over the PSNR
range both curves cover, and turned into a mean rate ratio. Negative means the
test codec needs fewer bits than the anchor at equal quality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import PchipInterpolator


class NoOverlapError(ValueError):
    """The two curves share no quality range, so no BD-rate exists."""


@dataclass(frozen=True)
class BDResult:
    percent: float  # mean rate difference, test vs anchor, in %
    low: float  # quality range integrated over
    high: float


def _curve(rate, quality):
    r = np.asarray(rate, float)
    q = np.asarray(quality, float)
    if r.shape != q.shape or r.size < 2:
        raise ValueError("a curve needs at least two (rate, quality) points")
    if np.any(r <= 0) or not np.all(np.isfinite(q)):
        raise ValueError("rates must be positive and qualities finite")
    order = np.argsort(q)
    q, logr = q[order], np.log10(r[order])
    keep = np.concatenate([[True], np.diff(q) > 0])  # pchip needs strictly increasing x
    return q[keep], logr[keep]


def bd_rate(anchor_rate, anchor_quality, test_rate, test_quality) -> BDResult:
    """BD-rate of the test curve against the anchor curve (in %)."""
    qa, la = _curve(anchor_rate, anchor_quality)
    qt, lt = _curve(test_rate, test_quality)
    low, high = max(qa.min(), qt.min()), min(qa.max(), qt.max())
    if not high > low:
        raise NoOverlapError(f"quality ranges do not overlap ({qa.min():.2f}–{qa.max():.2f} vs "
                             f"{qt.min():.2f}–{qt.max():.2f})")
    fa, ft = PchipInterpolator(qa, la), PchipInterpolator(qt, lt)
    diff = (ft.integrate(low, high) - fa.integrate(low, high)) / (high - low)
    return BDResult(float((10**diff - 1) * 100), float(low), float(high))



def bd_psnr(anchor_rate, anchor_quality, test_rate, test_quality) -> BDResult:
    """BD-PSNR: mean quality difference (test − anchor, in dB) at equal rate over
    the rate range both curves cover (``low``/``high`` are that range's rates)."""
    def by_rate(rate, quality):
        q, logr = _curve(rate, quality)
        order = np.argsort(logr)
        logr, q = logr[order], q[order]
        keep = np.concatenate([[True], np.diff(logr) > 0])
        return logr[keep], q[keep]

    la, qa = by_rate(anchor_rate, anchor_quality)
    lt, qt = by_rate(test_rate, test_quality)
    low, high = max(la.min(), lt.min()), min(la.max(), lt.max())
    if not high > low:
        raise NoOverlapError("rate ranges do not overlap")
    fa, ft = PchipInterpolator(la, qa), PchipInterpolator(lt, qt)
    diff = (ft.integrate(low, high) - fa.integrate(low, high)) / (high - low)
    return BDResult(float(diff), float(10**low), float(10**high))
