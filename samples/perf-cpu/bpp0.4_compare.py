"""Session 65: 384x256 at 0.4 bpp, 1.35.0 against a draft of 1.36.0 (never committed) whose rule for networks wider
than ratecontrol.NARROW_WIDTH, 7 bits first (each tier's widest 7-bit plan up to 5% under the target), moved rate
control's plan from 6 bits at width 29 (predicted 0.6% over the target, inside the window) to 7 bits at width 26 (2.5%
under). 1.36.0 as committed plans 1.35.0's 29 at 6. The 12 Kodak images, one thread each, side by side:
    cd /tmp && PYTHONPATH=SNAPSHOT OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/*.png --size 384x256 \\
        --config bpp=0.4
(outputs bpp0.4_384x256_1.35.0.txt and bpp0.4_384x256_draft.txt), paired by image at equal rate along the 1.35.0 RD
sweep's mean slope between 0.25 and 0.5 bpp.
Run from anywhere: python samples/perf-cpu/bpp0.4_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_and_summarize, load, local_slope, sweep  # noqa: E402

old, new = load("bpp0.4_384x256_1.35.0.txt", "bpp=0.4"), load("bpp0.4_384x256_draft.txt", "bpp=0.4")
folder = "rd-kodak-384x256-1.35.0"
slope = local_slope(sweep(folder, "bpp=0.25"), sweep(folder, "bpp=0.5"), sorted(new))
compare_and_summarize("384x256, 0.4 bpp: the draft (7 bits) against 1.35.0 (6 bits)", old, new, slope)
print("  plans: " + ", ".join(f"{name} {sorted({(r['width'], r['bits']) for r in rows.values()})}"
                              for name, rows in (("1.35.0", old), ("draft", new))) + " (width, bits)")
