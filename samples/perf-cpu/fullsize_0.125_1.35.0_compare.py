"""Session 64: 1.35.0's default at full size and 0.125 bpp against 1.34.1's, image by image on the 12 Kodak images.

1.35.0's compact layout moved rate control's plan there (depth 7): 1.34.1's 27 wide at 7 bits was predicted 2.3% under
the target, inside the window, and is now 3.4% under, out of it, while 30 wide at 6 bits, predicted 0.1% under in the
old layout, is 1.2% under in the new one: so 1.35.0 fits the 6-bit plan (rate control's rule: 6 bits inside the window
beat 7 bits further under, measured at 384x256 and 0.25 bpp). 1.34.1's files are its RD sweep's (read from the cache of
samples/rd-kodak-768x512-1.34.1-cpu); 1.35.0's were fitted in session 64 on a VM of the same kind (Zen 4, bfloat16 main
fits), one thread each, two at a time:
    cd /tmp && PYTHONPATH=SNAPSHOT OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size full \\
        --config bpp=0.125
(output fullsize_0.125_1.35.0.txt). Prints the pairing at equal rate along 1.34.1's mean-curve slope at 0.125 bpp and
both means read at 0.125 bpp (each file moved there along that slope).
Run from anywhere: python samples/perf-cpu/fullsize_0.125_1.35.0_compare.py"""
import math
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import cached_sweep, compare_per_image, curve_slope, load, mean_curve  # noqa: E402

SWEPT, TARGETS = "rd-kodak-768x512-1.34.1-cpu", (0.125, 0.25, 0.5)
rows = {t: cached_sweep(SWEPT, f"bpp={t:g}") for t in TARGETS}
slope = curve_slope(*mean_curve(rows, TARGETS), 0)
old, new = rows[0.125], load("fullsize_0.125_1.35.0.txt", "bpp=0.125")
images = sorted(set(old) & set(new))
diffs = compare_per_image("768x512, 0.125 bpp: 1.35.0 against 1.34.1", old, new, slope)
print(f"  better at equal rate: {sum(d > 0 for d in diffs)} of {len(diffs)}; plans: 1.35.0 "
      f"{sorted({(new[i]['width'], new[i]['bits']) for i in images})} (width, bits)")


def read(rows_: dict[str, dict]) -> float:
    return st.mean(rows_[i]["psnr"] + slope * math.log2(0.125 / rows_[i]["bpp"]) for i in images)


print(f"  read at 0.125 bpp (each file moved there along the slope): 1.34.1 {read(old):.2f} dB, 1.35.0 "
      f"{read(new):.2f}; encode seconds, 1.35.0: {min(new[i]['seconds'] for i in images):.0f} to "
      f"{max(new[i]['seconds'] for i in images):.0f} (1.34.1's sweep: {st.mean(old[i]['seconds'] for i in images):.0f} "
      f"mean, {st.mean(new[i]['seconds'] for i in images):.0f} here)")
