"""Bjontegaard deltas against values that can be checked by hand."""

import math

import numpy as np
import pytest

from ddcodec.rd.bd import bd_psnr, bd_rate

RATE = [0.1, 0.25, 0.5, 1.0, 1.5]
PSNR = [26.0, 29.0, 32.0, 36.0, 38.5]
METHODS = ["cubic", pytest.param("pchip", marks=pytest.mark.skipif(
    not __import__("importlib").util.find_spec("scipy"), reason="pchip needs scipy"))]


@pytest.mark.parametrize("method", METHODS)
def test_curve_against_itself_is_zero(method):
    assert bd_rate(RATE, PSNR, RATE, PSNR, method) == pytest.approx(0.0, abs=1e-9)
    assert bd_psnr(RATE, PSNR, RATE, PSNR, method) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_rates_times_factor_give_that_factor(method):
    # Same quality at 0.9x the bits everywhere: -10 %, whatever the interpolation.
    assert bd_rate(RATE, PSNR, [0.9 * r for r in RATE], PSNR, method) == pytest.approx(-10.0, abs=1e-9)
    assert bd_rate(RATE, PSNR, [1.25 * r for r in RATE], PSNR, method) == pytest.approx(25.0, abs=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_psnr_shift_gives_that_shift(method):
    assert bd_psnr(RATE, PSNR, RATE, [p + 1.0 for p in PSNR], method) == pytest.approx(1.0, abs=1e-9)
    assert bd_psnr(RATE, PSNR, RATE, [p - 0.5 for p in PSNR], method) == pytest.approx(-0.5, abs=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_hand_checked_linear_gain(method):
    # Anchor: ln r = ln2 (p - 30) / 2 (doubling the rate buys 2 dB), p = 30..36.
    # Test: ln r is lower by (p - 30) / 6 * ln(0.8): no saving at 30 dB, 20 % at 36 dB.
    # Mean of the log difference over [30, 36] = 0.5 ln 0.8, so BD-rate = sqrt(0.8) - 1.
    p = np.array([30.0, 32.0, 34.0, 36.0])
    r1 = np.exp(np.log(2) * (p - 30) / 2)
    r2 = r1 * np.exp((p - 30) / 6 * np.log(0.8))
    assert bd_rate(r1, p, r2, p, method) == pytest.approx((math.sqrt(0.8) - 1) * 100, abs=1e-9)
    assert bd_rate(r1, p, r2, p, method) == pytest.approx(-10.5573, abs=1e-4)


def test_hand_checked_cubic_quadratic_gap():
    # ln r2 - ln r1 = -0.01 (p - 30)^2; a cubic fit of 4 points reproduces it exactly.
    # Mean over [30, 36] = -0.01 * 6^2 / 3 = -0.12, so BD-rate = e^-0.12 - 1 = -11.308 %.
    p = np.array([30.0, 32.0, 34.0, 36.0])
    r1 = np.exp(p / 10)
    r2 = np.exp(p / 10 - 0.01 * (p - 30) ** 2)
    assert bd_rate(r1, p, r2, p, "cubic") == pytest.approx((math.exp(-0.12) - 1) * 100, abs=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_curves_of_different_extent(method):
    # The anchor reaches down to 28 dB, the test up to 38 dB; on the common 30..36 dB the
    # test needs half the bits, and on the common rates it is 2 dB better.
    p1, r1 = [28.0, 30.0, 32.0, 34.0, 36.0], [0.1, 0.2, 0.4, 0.8, 1.6]
    p2, r2 = [30.0, 32.0, 34.0, 36.0, 38.0], [0.1, 0.2, 0.4, 0.8, 1.6]
    assert bd_rate(r1, p1, r2, p2, method) == pytest.approx(-50.0, abs=1e-9)
    assert bd_psnr(r1, p1, r2, p2, method) == pytest.approx(2.0, abs=1e-9)


def test_errors():
    with pytest.raises(ValueError, match="do not overlap"):
        bd_rate([1, 2, 3, 4], [20, 21, 22, 23], [1, 2, 3, 4], [30, 31, 32, 33])
    with pytest.raises(ValueError, match="at least 4"):
        bd_rate([1, 2, 3], [20, 21, 22], [1, 2, 3], [20, 21, 22], "cubic")
    with pytest.raises(ValueError, match="positive"):
        bd_rate([0, 2, 3, 4], [20, 21, 22, 23], [1, 2, 3, 4], [20, 21, 22, 23])
    with pytest.raises(ValueError, match="unknown method"):
        bd_rate(RATE, PSNR, RATE, PSNR, "akima")
