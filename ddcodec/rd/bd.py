"""Bjontegaard deltas between two rate-distortion curves.

``bd_rate``: the average bitrate difference (percent; negative means the test codec
needs fewer bits) at equal quality, over the PSNR range both curves cover.
``bd_psnr``: the average PSNR difference (dB) at equal rate, over the common
log-rate range. Two interpolations:

- ``"cubic"``: VCEG-M33, one cubic polynomial through each curve (least squares when
  there are more than four points), integrated analytically.
- ``"pchip"``: piecewise cubic Hermite interpolation (the JCT-VC/JVET common test
  conditions), which cannot overshoot between points; needs scipy, imported lazily.

Rates can be in any unit (bpp here), as long as both curves use the same one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

METHODS = ("cubic", "pchip")


def _curve(rate: Sequence[float], psnr: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    r = np.asarray(rate, dtype=np.float64)
    p = np.asarray(psnr, dtype=np.float64)
    if r.shape != p.shape or r.ndim != 1:
        raise ValueError("rate and psnr must be 1-D sequences of the same length")
    if np.any(r <= 0) or not np.all(np.isfinite(r)) or not np.all(np.isfinite(p)):
        raise ValueError("rates must be positive and finite, PSNRs finite")
    return np.log(r), p


def _mean_over(x: np.ndarray, y: np.ndarray, lo: float, hi: float, method: str) -> float:
    """Mean of the interpolant y(x) over [lo, hi]."""
    order = np.argsort(x)
    x, y = x[order], y[order]
    if method == "cubic":
        if len(np.unique(x)) < 4:
            raise ValueError("the cubic Bjontegaard fit needs at least 4 distinct points per curve")
        primitive = np.polyint(np.polyfit(x, y, 3))
        return float((np.polyval(primitive, hi) - np.polyval(primitive, lo)) / (hi - lo))
    if method == "pchip":
        from scipy.interpolate import PchipInterpolator

        # PCHIP needs strictly increasing x: average the y of repeated x.
        ux, inverse = np.unique(x, return_inverse=True)
        uy = np.bincount(inverse, weights=y) / np.bincount(inverse)
        if len(ux) < 2:
            raise ValueError("the pchip interpolation needs at least 2 distinct points per curve")
        return float(PchipInterpolator(ux, uy).integrate(lo, hi) / (hi - lo))
    raise ValueError(f"unknown method {method!r} (use one of {', '.join(METHODS)})")


def _delta(x1: np.ndarray, y1: np.ndarray, x2: np.ndarray, y2: np.ndarray, method: str, what: str) -> float:
    """Mean of y2(x) - y1(x) over the x range both curves cover."""
    lo, hi = max(x1.min(), x2.min()), min(x1.max(), x2.max())
    if not hi > lo:
        raise ValueError(f"the two curves do not overlap in {what}")
    return _mean_over(x2, y2, lo, hi, method) - _mean_over(x1, y1, lo, hi, method)


def bd_rate(
    rate_anchor: Sequence[float], psnr_anchor: Sequence[float],
    rate_test: Sequence[float], psnr_test: Sequence[float], method: str = "cubic",
) -> float:
    """BD-rate of the test curve against the anchor, in percent."""
    lr1, p1 = _curve(rate_anchor, psnr_anchor)
    lr2, p2 = _curve(rate_test, psnr_test)
    return float((np.exp(_delta(p1, lr1, p2, lr2, method, "PSNR")) - 1.0) * 100.0)


def bd_psnr(
    rate_anchor: Sequence[float], psnr_anchor: Sequence[float],
    rate_test: Sequence[float], psnr_test: Sequence[float], method: str = "cubic",
) -> float:
    """BD-PSNR of the test curve against the anchor, in dB."""
    lr1, p1 = _curve(rate_anchor, psnr_anchor)
    lr2, p2 = _curve(rate_test, psnr_test)
    return _delta(lr1, p1, lr2, p2, method, "rate")
