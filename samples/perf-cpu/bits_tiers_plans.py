"""Session 46: the plans rate control's tiers change (version 1.21.0 against 1.20.0).

1.21.0 tries precisions in tiers, (7, 6), (8,), (5,) (``presets.BPP_BITS_TIERS``); 1.20.0 behaved as the tiers
(7, 8, 6), (5,) do. For targets 0.10 to 1.00 bpp in steps of 0.01 at five image sizes, the default preset's plan
(width, bits, depthwise mask; depth as ``presets.choose_depth`` picks it) under both, and the ones that differ.
Run from the repository root: python samples/perf-cpu/bits_tiers_plans.py"""
from collections import Counter

from ddcodec import codec
from ddcodec.presets import BPP_BITS_TIERS, PRESETS, choose_depth

BEFORE = ((7, 8, 6), (5,))  # 1.20.0's order: 7, 8 and 6 bits in one tier
SIZES = ((256, 384), (384, 576), (512, 768), (768, 1024), (1080, 1920))


def plans(tiers) -> dict[tuple[int, int, float], tuple[int, int, int]]:
    codec.BPP_BITS_TIERS = tiers  # what codec.plan_network hands rate control
    try:
        return {(h, w, b / 100): codec.plan_network(h, w, 3, bpp=b / 100, depth=choose_depth(h, w, 3, 32.0, b / 100),
                                                    schedule=PRESETS["default"])
                for h, w in SIZES for b in range(10, 101)}
    finally:
        codec.BPP_BITS_TIERS = BPP_BITS_TIERS


if __name__ == "__main__":
    old, new = plans(BEFORE), plans(BPP_BITS_TIERS)
    for h, w in SIZES:
        changed = [key for key in old if key[:2] == (h, w) and old[key] != new[key]]
        moves = Counter((old[key][1], new[key][1]) for key in changed)
        print(f"{w}x{h}: {len(changed)} of 91 plans change (bits before -> after: "
              f"{', '.join(f'{a} -> {b}: {n}' for (a, b), n in sorted(moves.items())) or 'none'})")
        for key in changed:
            print(f"  {key[2]:.2f} bpp: width {old[key][0]}, {old[key][1]} bits, mask {old[key][2]} -> "
                  f"width {new[key][0]}, {new[key][1]} bits, mask {new[key][2]}")
