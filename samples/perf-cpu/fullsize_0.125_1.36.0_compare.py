"""Session 65: 1.36.0's default at full size and 0.125 bpp against 1.35.0's, image by image on the Kodak images fitted.

The plan is 1.35.0's (30 wide at 6 bits, depth 7); 1.36.0 fills a 6-bit file whose float fit packs under the target up
to it (7-bit codes up to more than 31: ratecontrol.target_levels), so the two differ only where 1.35.0's file came out
under. 1.35.0's files: fullsize_0.125_1.35.0.txt (session 64); 1.36.0's were fitted in session 65 on a VM of the same
kind (Zen 4), one thread each, two at a time, the images whose 1.35.0 files were furthest under first:
    cd /tmp && PYTHONPATH=SNAPSHOT OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size full \\
        --config bpp=0.125
(output fullsize_0.125_1.36.0.txt). Pairs at equal rate along 1.34.1's mean-curve slope at 0.125 bpp, as
fullsize_0.125_1.35.0_compare.py does.
Run from anywhere: python samples/perf-cpu/fullsize_0.125_1.36.0_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import cached_sweep, compare_and_summarize, curve_slope, load, mean_curve  # noqa: E402

SWEPT, TARGETS = "rd-kodak-768x512-1.34.1-cpu", (0.125, 0.25, 0.5)
slope = curve_slope(*mean_curve({t: cached_sweep(SWEPT, f"bpp={t:g}") for t in TARGETS}, TARGETS), 0)
old, new = load("fullsize_0.125_1.35.0.txt", "bpp=0.125"), load("fullsize_0.125_1.36.0.txt", "bpp=0.125")
compare_and_summarize("768x512, 0.125 bpp: 1.36.0 (6-bit files filled) against 1.35.0", old, new, slope)
print("  levels (7-bit codes up to): " + " ".join(f"{i[:-4]} {new[i]['levels']}" for i in sorted(new)))
