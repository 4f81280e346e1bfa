"""Session 65: the forced plans of forced_plan.py at 384x256 and 0.25 bpp (outputs forced_21x7_384x256_0.25.txt,
forced_22x6_384x256_0.25.txt) against the 1.35.0 and 1.34.1 RD sweeps' files at that target, image by image at equal
rate along each sweep's own slope. 1.35.0's plan there is width 20 at 7 bits (predicted 1.4% over the target),
1.34.1's width 21 at 6 bits (its files 3.6% under the target on average, in the older, larger layout).
Run from anywhere: python samples/perf-cpu/forced_plan_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_per_image, load, sweep, sweep_slope  # noqa: E402

for name, label in (("forced_21x7_384x256_0.25.txt", "width 21, 7-bit codes filled to the target"),
                    ("forced_22x6_384x256_0.25.txt", "width 22, 6-bit codes trimmed to the target")):
    forced = load(name, "bpp=0.25")
    for folder in ("rd-kodak-384x256-1.35.0", "rd-kodak-384x256-1.34.1"):
        diffs = compare_per_image(f"{label} against {folder}", sweep(folder, "bpp=0.25"), forced,
                                  sweep_slope(folder, 0.25))
        print(f"  better at equal rate: {sum(d > 0 for d in diffs)} of {len(diffs)}; levels "
              f"{min(r['levels'] for r in forced.values())} to {max(r['levels'] for r in forced.values())}")
