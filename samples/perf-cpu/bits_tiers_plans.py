"""Session 46: the plans rate control's tiers change (version 1.21.0 against an earlier checkout).

1.21.0 tries precisions in tiers, (7, 6), (8,), (5,) (``presets.BPP_BITS_TIERS``; further under the target than the
window, a tier's nearest plan); 1.20.0 tried 7, 8 and 6 bits in that order, first inside the window, then further
under. For targets 0.10 to 1.00 bpp in steps of 0.01 at five image sizes, the default preset's plan (width, bits,
depthwise mask; depth as ``presets.choose_depth`` picks it) from both checkouts, and the ones that differ. Run from
the repository root:

    git worktree add /tmp/ddcodec-1.20.0 f56c69c
    python samples/perf-cpu/bits_tiers_plans.py /tmp/ddcodec-1.20.0"""
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

SIZES = ((256, 384), (384, 576), (512, 768), (768, 1024), (1080, 1920))
PLANS = f"""
import json
from ddcodec import codec
from ddcodec.presets import PRESETS, choose_depth
print(json.dumps([[h, w, b, codec.plan_network(h, w, 3, bpp=b / 100, depth=choose_depth(h, w, 3, 32.0, b / 100),
                                               schedule=PRESETS['default'])]
                  for h, w in {SIZES!r} for b in range(10, 101)]))
"""


def plans(checkout: Path) -> dict[tuple[int, int, int], tuple[int, int, int]]:
    """(height, width, bpp in hundredths) -> (width, bits, mask), from the ddcodec package in ``checkout``."""
    out = subprocess.run([sys.executable, "-c", PLANS], cwd=checkout, capture_output=True, text=True, check=True)
    return {(h, w, b): tuple(plan) for h, w, b, plan in json.loads(out.stdout)}


if __name__ == "__main__":
    old, new = plans(Path(sys.argv[1])), plans(Path(__file__).resolve().parents[2])
    for h, w in SIZES:
        changed = [key for key in old if key[:2] == (h, w) and old[key] != new[key]]
        moves = Counter((old[key][1], new[key][1]) for key in changed)
        print(f"{w}x{h}: {len(changed)} of 91 plans change (bits before -> after: "
              f"{', '.join(f'{a} -> {b}: {n}' for (a, b), n in sorted(moves.items())) or 'none'})")
        for key in changed:
            print(f"  {key[2] / 100:.2f} bpp: width {old[key][0]}, {old[key][1]} bits, mask {old[key][2]} -> "
                  f"width {new[key][0]}, {new[key][1]} bits, mask {new[key][2]}")
