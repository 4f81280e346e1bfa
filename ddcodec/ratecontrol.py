"""Rate control: pick the network width and weight precision that hit a requested bpp.

People think in file sizes, not in ratios. The size of a .ddc file is predictable before
fitting: the header is fixed by (depth, channels), and a fitted network's weights are close
to Gaussian, so zstd packs their codes like the codes of Gaussian weights of the same shapes,
quantised as the format quantises them (each conv row scaled to max-abs qmax). Compressing such
synthetic codes once per precision and width gives the bytes per weight. On the 12 Kodak images'
real files that predicted the mean size within 0.8% for eight plans (384x256 and 768x512,
widths 15 to 83, 7 and 8 bits, 1.5 to 35 kB). Wider rows have a larger max-abs against their
spread, so their codes crowd nearer zero and pack better: the earlier model, evenly spread
codes, ignored that and overestimated by up to 5.7% at 768x512, so files came out up to
5.4% under their target. The ``weight_l1`` penalty (on in the presets since 1.2.0) packs the codes
tighter still, by a factor measured on real files (``PENALTY_PACKING``).
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable, Optional

import numpy as np

from . import format as fmt
from .errors import DdcInputError

# A plan predicted this far under / over the target is good enough. Real files came out 0.8%
# under to 1.4% over the prediction (Kodak, 96 files), so both ends stay within the promised 3%
# but for the worst stacking of both under ends (3.3%; 0.022 would change 2 of 72 plans tried).
# With the weight_l1 penalty single files spread wider around the calibrated prediction (see
# PENALTY_PACKING): 3% then holds for a plan's mean file, not for every file.
ACCEPT_UNDER, ACCEPT_OVER = 0.025, 0.015
FALLBACK_UNDER = 0.05  # how far under the target a tier's plan may land when none of its precisions has one in the window
SIZE_MODEL = "gaussian-rows-v11"  # named in the RD cache key: new plans (v2, v3: the fallback rules; v4: the penalty, 5 bits last; v5: depthwise kernels; v6: files over RATE_TOLERANCE refitted narrower; v7: precisions in tiers, 8 bits after 7 and 6 down to FALLBACK_UNDER, the nearest of a tier under the window; v8: files the float fit predicts over TRIM_OVER rounded to fewer levels; v9: the penalty's allowance by its strength; v10: fixed scales in format version 4's compact layout; v11: narrow networks' first tier at 6 bits, filled up to the target)


def header_bytes(depth: int, channels: int, depthwise: int = 0, widths: tuple[int, ...] = (),
                 compact: bool = False) -> int:
    """Everything in a .ddc file but the zstd payload (``widths``: the layers' own, stored in versions 3 and 4).
    ``compact``: format version 4's layout, which ``codec.pack`` writes for fixed scales (every preset's since
    1.35.0): two bytes per stored step, no payload size, the scales' step in the fixed fields."""
    if compact:
        return (len(fmt.MAGIC) + fmt.header_struct_size(fmt.COMPACT_VERSION) + 2 * len(widths)
                + 2 * (depth + channels) + 4)
    return (len(fmt.MAGIC) + fmt.header_struct_size(fmt.required_version(depthwise, widths)) + 2 * len(widths)
            + 4 * fmt.n_steps(depth, channels) + 4 + 4)


def stored_count(net_width: int, depth: int, channels: int, depthwise: int = 0, widths: tuple[int, ...] = (),
                 compact: bool = False) -> int:
    """The codes a file's payload holds: every weight's, less the scales' in version 4's ``compact`` layout."""
    scales = sum(fmt.layer_widths(net_width, depth, widths)) if compact else 0
    return fmt.param_count(net_width, depth, channels, depthwise, widths) - scales


SAMPLED_ROWS = 64  # rows drawn per conv: rows are alike, and 64 give the rate within 0.1% (width 67 to 813)


# With the weight_l1 penalty (the presets' 0.0003, since 1.2.0) fitted codes pack tighter than Gaussian ones:
# the mean real payload over the predicted one, per plan, averaged over the nine plans measured with
# version 1.3.0's default (12 Kodak images each; samples/perf-cpu/size_model_calibration.py prints it)
PENALTY_PACKING = 0.98
# The allowance by the penalty's strength: (weight_l1, packing) as measured, linear between them and the strongest's
# beyond (penalty_packing). At twice the presets' strength, 0.0006, 1.32.0's default packed its files at the same plans
# 2.0 / 1.9 / 2.1% tighter than at 0.0003 (384x256, 0.125 / 0.25 / 0.5 bpp, 12 Kodak images each; session 58,
# samples/perf-cpu/weight_l1_1.32.0_compare.py); 1.3.0's 0.001 made files 4.6 to 12% smaller than 0.0003, not
# measured against the model. Before 1.33.0 every penalty got PENALTY_PACKING, whatever its strength
PACKING_BY_PENALTY = ((0.0, 1.0), (3e-4, PENALTY_PACKING), (6e-4, PENALTY_PACKING * 0.98))


def penalty_packing(weight_l1: float) -> float:
    """The size model's factor for a fit with a ``weight_l1`` penalty of this strength (``PACKING_BY_PENALTY``): a
    stronger penalty draws the codes nearer zero, and zstd packs them tighter."""
    if isinstance(weight_l1, bool) or not (isinstance(weight_l1, (int, float)) and weight_l1 >= 0):
        raise ValueError(f"weight_l1 must be a number >= 0, got {weight_l1!r}")
    for (lo, lo_packing), (hi, hi_packing) in zip(PACKING_BY_PENALTY, PACKING_BY_PENALTY[1:]):
        if weight_l1 <= hi:
            return lo_packing + (hi_packing - lo_packing) * (weight_l1 - lo) / (hi - lo)
    return PACKING_BY_PENALTY[-1][1]


# A fitted depthwise kernel, scaled to max-abs 1, keeps its initial centre tap the largest, so kernels are drawn
# as the identity plus this much Gaussian noise (chosen on one small fit); 1.4.0's full-size files (16, at 0.125 and
# 0.25 bpp) came out 2.3% under to 2.3% over the prediction (samples/perf-cpu/fullsize_depthwise_compare.py)
KERNEL_SPREAD = 0.35


@lru_cache(maxsize=256)
def bytes_per_weight(bits: int, net_width: int, depth: int, channels: int, fixed_scale: bool = False,
                     weight_l1: float = 0.0, depthwise: int = 0, taper: int = 100, compact: bool = False) -> float:
    """zstd bytes per stored code (``stored_count``) of a ``net_width`` network, its weights drawn Gaussian and
    quantised and packed as the format does (rows of convs scaled to max-abs qmax, the
    normalisation's vectors per tensor); at most ``SAMPLED_ROWS`` rows of each conv are drawn.
    With ``fixed_scale`` (``FitSchedule.fixed_scale``) every normalisation scale is 1, one code repeated, which
    version 4's ``compact`` layout does not store (``compact`` needs ``fixed_scale``; without it, the layout of
    versions 1 to 3, every file before 1.35.0).
    With a ``weight_l1`` penalty (``FitSchedule.weight_l1``) times ``penalty_packing(weight_l1)``, as measured.
    Depthwise kernels (``depthwise``, a format.weight_shapes mask) are drawn as the identity plus Gaussian
    noise of std ``KERNEL_SPREAD``: fitted kernels keep their initial centre tap largest. ``taper``: the layers'
    widths, ``format.tapered_widths``."""
    if compact and not fixed_scale:
        raise ValueError("the compact layout holds fixed scales only")
    largest = fmt.qmax(bits)
    rng = np.random.default_rng(0)
    codes = []
    for name, shape in fmt.weight_shapes(net_width, depth, channels, depthwise,
                                         fmt.tapered_widths(net_width, depth, taper)):
        if len(shape) == 2:
            shape = (min(shape[0], SAMPLED_ROWS), shape[1])
        if compact and name.startswith("scale"):
            continue
        g = np.ones(shape) if fixed_scale and name.startswith("scale") else rng.standard_normal(shape)
        if name.startswith("dw"):
            g *= KERNEL_SPREAD
            g[:, fmt.DEPTHWISE_TAPS // 2] += 1.0
        peak = np.abs(g).max(axis=-1, keepdims=True) if g.ndim == 2 else np.abs(g).max()
        codes.append(np.round(g / peak * largest).astype(np.int64).ravel())
    q = np.concatenate(codes)
    return len(fmt.compress_codes(q, bits)) / q.size * penalty_packing(weight_l1)


def predicted_bytes(net_width: int, depth: int, channels: int, bits: int, per_weight: float,
                    depthwise: int = 0, taper: int = 100, compact: bool = False) -> int:
    """A file's size: its header and ``per_weight`` bytes per stored code (``bytes_per_weight`` with the same
    ``compact``)."""
    widths = fmt.tapered_widths(net_width, depth, taper)
    return math.ceil(header_bytes(depth, channels, depthwise, widths, compact)
                     + per_weight * stored_count(net_width, depth, channels, depthwise, widths, compact))


def _widths_around(target_bytes: float, depth: int, channels: int, bits: int, per_weight: float,
                   min_width: int, depthwise: int = 0, taper: int = 100,
                   compact: bool = False) -> list[tuple[int, int]]:
    """(net_width, predicted bytes) for widths up to the first one above the target."""
    out = []
    for net_width in range(min_width, 4097):
        size = predicted_bytes(net_width, depth, channels, bits, per_weight, depthwise, taper, compact)
        out.append((net_width, size))
        if size > target_bytes:
            break
    return out


def plan_for_bpp(height: int, width: int, channels: int, target_bpp: float, depth: int,
                 bits_choices: tuple[int, ...], min_width: int, tiers: tuple[tuple[int, ...], ...],
                 fixed_scale: bool = False, weight_l1: float = 0.0, depthwise: int = 0,
                 taper: int = 100) -> tuple[int, int]:
    """(net_width, bits) for a file of about ``target_bpp`` (``fixed_scale``: the fit leaves the
    normalisations' scales at 1, ``FitSchedule.fixed_scale``, and the file, version 4's compact layout, stores none;
    ``weight_l1``: the fit's penalty on the weights' magnitude, which packs the codes tighter; ``depthwise``: the
    network's depthwise kernels, a format.weight_shapes mask; ``taper``: its layers' widths,
    ``format.tapered_widths``; ``bytes_per_weight``).

    ``tiers`` are groups of precisions, best quality per bit first, as measured (``presets.BPP_BITS_TIERS``).
    Tier by tier: since 1.36.0 a narrow network's 6-bit plan, filled up to the target (``_filled_plan``); else the
    tier's first precision, in its order, with a plan within ``ACCEPT_UNDER`` /
    ``ACCEPT_OVER`` of the target wins, with its nearest plan; when none comes that close, the tier's plan
    nearest the target up to ``FALLBACK_UNDER`` under; only then the next tier. A file 5% under the target
    costs about 0.1 dB, a precision of a later tier more: 8 bits lost 0.30 dB at equal rate to 7 bits 4.5%
    under and 0.52 to 6 bits 3.6% under (384x256, 0.25 bpp, 12 Kodak images), 5 bits 0.24 to 0.67 dB; there
    6 bits, the nearer, beat 7 by 0.22. Before 1.21.0 the tiers were (7, 8, 6) and (5), each precision's
    plans further under tried in the same order: 8 bits inside the window beat 7 and 6 bits further under.
    Failing all tiers, the plan nearest the target wins, at any precision,
    among those not over the window (a size budget is not overrun; an RD curve still reaches
    the target rate). Narrow networks have coarse width steps, so the nearest plan is often at
    an odd precision; taking it blindly picked 5 bits at 0.125 bpp on a 768x512 image (5 bits
    lost 0.24 dB at 0.125 bpp and 0.67 dB at 0.25 bpp on four 384x256 images). At 384x256 and
    0.125 bpp no plan comes within the window: the nearest overall, width 17 at 6 bits, came
    out 3.4 to 4.2% over on the 12 Kodak images, and the nearest under it, width 14 at 8 bits
    (3.1% under), gave 22.60 dB where width 15 at 7 bits (3.2% under) gave 22.79 dB.
    """
    if not (isinstance(target_bpp, (int, float)) and math.isfinite(target_bpp) and target_bpp > 0):
        raise DdcInputError(f"target bpp must be a positive number, got {target_bpp!r}")
    target_bytes = target_bpp * height * width / 8
    compact = fixed_scale  # codec.pack writes fixed scales in version 4's compact layout

    def predicted(net_width: int, bits: int) -> int:  # a plan's file, its codes packed at that width's own rate
        return predicted_bytes(net_width, depth, channels, bits,
                               bytes_per_weight(bits, net_width, depth, channels, fixed_scale, weight_l1, depthwise,
                                                taper, compact), depthwise, taper, compact)

    plans = []  # (signed relative error, net_width, bits)
    for bits in bits_choices:
        sizes = _widths_around(target_bytes, depth, channels, bits, bits / 8, min_width, depthwise, taper, compact)
        per_weight = bytes_per_weight(bits, sizes[-1][0], depth, channels, fixed_scale, weight_l1,
                                      depthwise, taper, compact)  # the rate near the target
        near = _widths_around(target_bytes, depth, channels, bits, per_weight, min_width, depthwise, taper,
                              compact)[-1][0]
        # the widths around the crossing, each predicted at its own rate (it varies with the width)
        for net_width in range(max(min_width, near - 2), near + 2):
            plans.append(((predicted(net_width, bits) - target_bytes) / target_bytes, net_width, bits))
    smallest = min(predicted(min_width, b) for b in bits_choices)
    if target_bytes < smallest * 0.97:
        raise DdcInputError(
            f"{target_bpp:g} bpp ({target_bytes:.0f} bytes) is below the smallest file for a {width}x{height} "
            f"image ({8 * smallest / (height * width):.3f} bpp, {smallest:.0f} bytes); ask for more")

    def nearest(candidates: list) -> tuple:
        return min(candidates, key=lambda p: (abs(p[0]), p[2]))

    def fills_to_target(plan: tuple) -> bool:  # codes up to the next precision's reach the target (target_levels)
        _, net_width, bits = plan
        return bits < FILL_MAX_BITS and predicted(net_width, bits + 1) >= target_bytes * (1 - ACCEPT_UNDER)

    for tier in tiers:
        filled = _filled_plan(plans, tuple(bits for bits in tier if bits in bits_choices), fills_to_target)
        if filled:
            return filled[1:]
        for bits in tier:  # the window, the tier's order deciding
            close = [p for p in plans if p[2] == bits and -ACCEPT_UNDER <= p[0] <= ACCEPT_OVER]
            if close:
                return nearest(close)[1:]
        # further under, the shortfall outweighs the precision: the tier's nearest plan (ties in the tier's order)
        close = [p for p in plans if p[2] in tier and -FALLBACK_UNDER <= p[0] <= ACCEPT_OVER]
        if close:
            return min(close, key=lambda p: (abs(p[0]), tier.index(p[2])))[1:]
    within_budget = [p for p in plans if p[0] <= ACCEPT_OVER]
    return nearest(within_budget or plans)[1:]


# Narrow networks spend a bit of precision better on width: at 384x256 and 0.25 bpp width 21 at 6 bits (5.5% under
# the target, filled to it: codes up to about 38, target_levels) gained 0.15 dB at equal rate over width 20 at 7 bits
# (1.4% over; RESULTS.md, "Filled plans"). Wider ones are left to the window's rules: at 768x512 7 bits beat 6 (0.25
# bpp, widths 45 and 49: 0.14 dB; 0.125 bpp, depth 7, 27 wide at 7 bits 3.4% under against 30 at 6 bits 1.2% under:
# 0.05), but at 384x256 and 0.4 bpp 6 bits at width 29 (inside the window) beat 7 bits at 26 (2.5% under) by 0.10 dB.
NARROW_WIDTH = 25


def _filled_plan(plans: list, tier: tuple[int, ...], fills_to_target: Callable[[tuple], bool]) -> Optional[tuple]:
    """The plan rate control takes first in a ``tier`` of two or more precisions where networks are narrow: the
    widest of the tier's lowest precision not over the window (``ACCEPT_OVER``), when it is at most ``NARROW_WIDTH``
    wide, wider than every plan of the tier's other precisions not over the window (at the same width the higher
    precision's codes are the lower one's filled all the way), and filling its codes up to the next precision's would
    reach the target (``fills_to_target``); else None, and the window's rules decide."""
    def widest(bits: int) -> Optional[tuple]:
        return max((p for p in plans if p[2] == bits and p[0] <= ACCEPT_OVER), key=lambda p: p[1], default=None)

    if len(tier) < 2:
        return None
    low = widest(min(tier))
    if low is None or low[1] > NARROW_WIDTH or not fills_to_target(low):
        return None
    others = [widest(bits) for bits in tier if bits != low[2]]
    return low if all(other is None or other[1] < low[1] for other in others) else None


# A --bpp or --size file whose float fit, rounded plainly, packs more than this over its target is rounded to fewer
# levels (``trimmed_levels``) rather than come out over RATE_TOLERANCE and be fitted again narrower. The float fit
# predicts the final file closely (final over predicted: 1.0002 for kodim05 at 768x512, 0.9974 at 384x256, 1.0033 at
# 192x128; samples/perf-cpu/trim_levels_prediction.txt), hence the half-point margin. Files predicted under it are
# rounded to every level, as before 1.22.0. Two full-size files (0.25 bpp) trimmed to 61 of 63 levels instead of
# refitted at width 44: +0.007 dB at equal rate (kodim05 +0.10, kodim13 -0.08), one fit instead of two
# (samples/perf-cpu/trim_levels_compare.py).
TRIM_OVER = 0.025
MAX_TRIM = 0.125  # at most this share of a precision's levels is given up: further off, a narrower refit is better


def trimmed_levels(full: int, target_bytes: float, size_at: Callable[[int], int], over: Optional[float] = None) -> int:
    """The largest code, ``full`` (``qmax(bits)``) or fewer, whose file ``size_at(levels)`` (bytes, the float fit
    quantised plainly to that many levels) is at most ``over`` above ``target_bytes``, giving up at most
    ``MAX_TRIM`` of the levels (``over`` by default ``TRIM_OVER``).

    A width step is 2 to 4% of a file and a refit a whole second fit; one level fewer is a step about 1.6% coarser
    at 7 bits, 0.3 to 0.4% of the file, and costs only the rounding noise it adds. Sizes fall with the levels
    almost always; a rare level that packs larger is stepped over."""
    budget = target_bytes * (1 + (TRIM_OVER if over is None else over))
    floor = max(1, math.ceil(full * (1 - MAX_TRIM)))
    levels = full
    while levels > floor and size_at(levels) > budget:
        levels -= 1
    return levels


# A --bpp or --size plan under its target (a width step is 3 to 6% of a file, so the nearest width often lands a few
# per cent under) is rounded to more levels than its precision has, up to the next precision's, until the float fit's
# file reaches the target: a 6-bit plan 5.5% under is written at 7 bits with codes up to about 38. At most 7-bit codes:
# 7-bit plans filled to 8-bit codes bought little (at full size and 0.125 bpp kodim03's file, filled from 63 to 99
# levels, 8.7% more bytes, +0.05 dB; at 384x256 and 0.5 bpp 2% more bytes, -0.042 dB at equal rate), as rounding at 7
# bits already costs little.
FILL_MAX_BITS = 7


def filled_levels(full: int, ceiling: int, target_bytes: float, size_at: Callable[[int], int]) -> int:
    """The largest code from ``full`` to ``ceiling`` whose file ``size_at(levels)`` is at most ``target_bytes``
    (``full`` itself where even one more level is over). Sizes grow with the levels almost always, so a bisection
    finds it in a few packs; a rare level that packs smaller than the one below does not matter to it."""
    low, high = full, ceiling
    while low < high:
        middle = (low + high + 1) // 2
        if size_at(middle) <= target_bytes:
            low = middle
        else:
            high = middle - 1
    return low


def target_levels(bits: int, target_bytes: float, size_at: Callable[[int], int], fill: bool = True) -> int:
    """The largest code a --bpp or --size plan at ``bits`` is rounded to, given its float fit's file
    ``size_at(levels)``: all of the precision's where that is within the target and ``TRIM_OVER`` over it, fewer
    where it is further over (``trimmed_levels``), more where it is under and ``fill`` (the precision was rate
    control's choice, not pinned): ``filled_levels``, up to the next precision's, ``FILL_MAX_BITS`` at most."""
    size_at = lru_cache(maxsize=None)(size_at)  # each size is a pack of the file: the trim may ask for full's again
    full = fmt.qmax(bits)
    if fill and bits < FILL_MAX_BITS and size_at(full) < target_bytes:
        return filled_levels(full, fmt.qmax(bits + 1), target_bytes, size_at)
    return trimmed_levels(full, target_bytes, size_at)
