"""Rate control: pick the network width and weight precision that hit a requested bpp.

People think in file sizes, not in ratios. The size of a .ddc file is predictable before
fitting: the header is fixed by (depth, channels), and the quantised weights spread almost
evenly over their range, so zstd packs them like evenly spread synthetic codes of the same
count and precision. Compressing such codes once per precision gives the bytes per weight;
on real files that predicted the size within 1% (8 and 7 bits, files over 500 bytes), and
within 0 to 2% over the real size for 1.4 to 3 kB files at 6 to 8 bits (384x256 at 0.125 to 0.25 bpp).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import zstandard

from . import format as fmt
from .errors import DdcInputError

# A plan predicted this far under / over the target is good enough. Real files came out 0 to
# 2% under the prediction (their weights are not quite evenly spread), so both ends stay
# within the promised 3%.
ACCEPT_UNDER, ACCEPT_OVER = 0.01, 0.025


def header_bytes(depth: int, channels: int) -> int:
    """Everything in a .ddc file but the zstd payload."""
    return len(fmt.MAGIC) + fmt.header_struct_size() + 4 * fmt.n_steps(depth, channels) + 4 + 4


@lru_cache(maxsize=64)
def bytes_per_weight(bits: int, count: int) -> float:
    """zstd bytes per weight for ``count`` evenly spread ``bits``-bit codes, packed as the format packs them."""
    qmax = 2 ** (bits - 1) - 1
    q = np.round(np.random.default_rng(0).uniform(-1, 1, count) * qmax).astype(np.int64)
    return len(fmt.compress_codes(q, bits)) / count


def predicted_bytes(net_width: int, depth: int, channels: int, bits: int, per_weight: float) -> int:
    return math.ceil(header_bytes(depth, channels) + per_weight * fmt.param_count(net_width, depth, channels))


def _widths_around(target_bytes: float, depth: int, channels: int, bits: int, per_weight: float,
                   min_width: int) -> list[tuple[int, int]]:
    """(net_width, predicted bytes) for widths up to the first one above the target."""
    out = []
    for net_width in range(min_width, 4097):
        size = predicted_bytes(net_width, depth, channels, bits, per_weight)
        out.append((net_width, size))
        if size > target_bytes:
            break
    return out


def plan_for_bpp(height: int, width: int, channels: int, target_bpp: float, depth: int,
                 bits_choices: tuple[int, ...], min_width: int, preference: tuple[int, ...]) -> tuple[int, int]:
    """(net_width, bits) for a file of about ``target_bpp``.

    Precisions are tried in ``preference`` order (best quality per bit first, as measured):
    the first one with a plan within ``ACCEPT_UNDER`` / ``ACCEPT_OVER`` of the target wins,
    with its nearest plan.
    Only when none comes that close does the plan nearest the target win, at any precision.
    Narrow networks have coarse width steps, so the nearest plan is often at an odd
    precision; taking it blindly picked 5 bits at 0.125 bpp on a 768x512 image (5 bits lost
    0.24 dB at 0.125 bpp and 0.67 dB at 0.25 bpp on four 384x256 images).
    """
    if not (isinstance(target_bpp, (int, float)) and math.isfinite(target_bpp) and target_bpp > 0):
        raise DdcInputError(f"target bpp must be a positive number, got {target_bpp!r}")
    target_bytes = target_bpp * height * width / 8
    plans = []  # (signed relative error, net_width, bits)
    for bits in bits_choices:
        rough = _widths_around(target_bytes, depth, channels, bits, bits / 8, min_width)
        per_weight = bytes_per_weight(bits, fmt.param_count(rough[-1][0], depth, channels))
        for net_width, size in _widths_around(target_bytes, depth, channels, bits, per_weight, min_width):
            plans.append(((size - target_bytes) / target_bytes, net_width, bits))
    smallest = min(predicted_bytes(min_width, depth, channels, b, bytes_per_weight(b, 1000))
                   for b in bits_choices)
    if target_bytes < smallest * 0.97:
        raise DdcInputError(
            f"{target_bpp:g} bpp is below the smallest file for a {width}x{height} image "
            f"({8 * smallest / (height * width):.3f} bpp); ask for more")

    def nearest(candidates: list) -> tuple:
        return min(candidates, key=lambda p: (abs(p[0]), p[2]))

    for bits in [b for b in preference if b in bits_choices]:
        close = [p for p in plans if p[2] == bits and -ACCEPT_UNDER <= p[0] <= ACCEPT_OVER]
        if close:
            return nearest(close)[1:]
    return nearest(plans)[1:]
