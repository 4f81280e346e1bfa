"""Rate control: pick the network width and weight precision that hit a requested bpp.

People think in file sizes, not in ratios. The size of a .ddc file is predictable before
fitting: the header is fixed by (depth, channels), and the quantised weights spread almost
evenly over their range, so zstd packs them like evenly spread synthetic codes of the same
count and precision. Compressing such codes once per precision gives the bytes per weight;
on real files that predicted the size within 1% (8 and 7 bits, files over 500 bytes).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import zstandard

from . import format as fmt
from .errors import DdcInputError

TOLERANCE = 0.015  # a plan at the preferred precision this close to the target wins


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
                 bits_choices: tuple[int, ...], min_width: int, preferred_bits: int) -> tuple[int, int]:
    """(net_width, bits) whose predicted bpp is nearest the target.

    The preferred precision (the best quality per bit, as measured) wins when one of its
    plans is within ``TOLERANCE``; otherwise the plan nearest the target, at any precision.
    """
    if not (isinstance(target_bpp, (int, float)) and math.isfinite(target_bpp) and target_bpp > 0):
        raise DdcInputError(f"target bpp must be a positive number, got {target_bpp!r}")
    target_bytes = target_bpp * height * width / 8
    plans = []  # (relative error, net_width, bits)
    for bits in bits_choices:
        rough = _widths_around(target_bytes, depth, channels, bits, bits / 8, min_width)
        per_weight = bytes_per_weight(bits, fmt.param_count(rough[-1][0], depth, channels))
        for net_width, size in _widths_around(target_bytes, depth, channels, bits, per_weight, min_width):
            plans.append((abs(size - target_bytes) / target_bytes, net_width, bits))
    smallest = min(predicted_bytes(min_width, depth, channels, b, bytes_per_weight(b, 1000))
                   for b in bits_choices)
    if target_bytes < smallest * 0.97:
        raise DdcInputError(
            f"{target_bpp:g} bpp is below the smallest file for a {width}x{height} image "
            f"({8 * smallest / (height * width):.3f} bpp); ask for more")
    preferred = min((p for p in plans if p[2] == preferred_bits), default=None)
    chosen = preferred if preferred is not None and preferred[0] <= TOLERANCE else min(plans)
    return chosen[1], chosen[2]
