"""Deterministic searches for the quality that meets a size, bpp or PSNR target.

Quality is searched on the grid the file stores (hundredths, 0 … 10000) by
integer bisection, assuming file size and PSNR grow with quality (the shipped
model is tested for this). Only evaluated qualities are ever returned, so a
size target is never exceeded. No padding bytes are ever added.
"""

from __future__ import annotations

from typing import Callable

from .errors import RateTargetError

Q_MAX = 10000  # quality field: hundredths


def largest_at_most(measure: Callable[[int], float], target: float) -> int:
    """The largest quality field ``q`` with ``measure(q) <= target``.

    Raises :class:`RateTargetError` if even quality 0 exceeds the target.
    """
    if measure(0) > target:
        raise RateTargetError(f"target too small: the smallest result is {measure(0):g}")
    lo, hi = 0, Q_MAX + 1  # measure(lo) <= target; hi is beyond the last good value
    if measure(Q_MAX) <= target:
        return Q_MAX
    hi = Q_MAX
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if measure(mid) <= target:
            lo = mid
        else:
            hi = mid
    return lo


def smallest_at_least(measure: Callable[[int], float], target: float) -> int:
    """The smallest quality field ``q`` with ``measure(q) >= target``."""
    if measure(Q_MAX) < target:
        raise RateTargetError(f"target too high: the best reachable is {measure(Q_MAX):g}")
    if measure(0) >= target:
        return 0
    lo, hi = 0, Q_MAX  # measure(lo) < target <= measure(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if measure(mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi


def closest(measure: Callable[[int], float], target: float) -> int:
    """The quality field whose measure is closest (relatively) to ``target``."""
    if measure(0) >= target:
        return 0
    below = largest_at_most(measure, target)
    if below == Q_MAX:
        return below
    above = below + 1
    return below if abs(measure(below) / target - 1) <= abs(measure(above) / target - 1) else above
