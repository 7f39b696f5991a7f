import math

import pytest

from benchmarks.bdrate import NoOverlapError, bd_rate

RATES = [0.2, 0.4, 0.8, 1.6]
PSNRS = [28.0, 31.0, 34.0, 37.0]


def test_identical_curves_give_zero():
    assert bd_rate(RATES, PSNRS, RATES, PSNRS).percent == pytest.approx(0.0, abs=1e-9)


def test_half_rate_everywhere_gives_minus_fifty():
    r = bd_rate(RATES, PSNRS, [x / 2 for x in RATES], PSNRS)
    assert r.percent == pytest.approx(-50.0, abs=1e-9)
    assert (r.low, r.high) == (28.0, 37.0)


def test_double_rate_gives_plus_hundred_over_overlap_only():
    r = bd_rate(RATES, PSNRS, [x * 2 for x in RATES[:3]], PSNRS[:3])
    assert r.percent == pytest.approx(100.0, abs=1e-9)
    assert (r.low, r.high) == (28.0, 34.0)


def test_non_overlapping_curves_raise():
    with pytest.raises(NoOverlapError):
        bd_rate(RATES, PSNRS, RATES, [p + 20 for p in PSNRS])


def test_order_of_points_does_not_matter():
    a = bd_rate(RATES, PSNRS, [0.3, 0.5, 0.9, 1.7], [28.5, 31.0, 33.9, 37.2]).percent
    b = bd_rate(RATES[::-1], PSNRS[::-1], [1.7, 0.9, 0.5, 0.3], [37.2, 33.9, 31.0, 28.5]).percent
    assert a == pytest.approx(b) and math.isfinite(a)
