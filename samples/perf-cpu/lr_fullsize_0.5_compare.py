"""Session 42: the default preset's peak learning rate at full size and 0.5 bpp (768x512, width 66 at 7 bits with
kernels, depth 6): lr 0.045 against 1.19.0's 0.06 (1.19.0 = 1.18.0 at 0.5 bpp), image by image at equal rate along
1.18.0's own mean slope between 0.25 and 0.5 bpp. Session 33 chose 0.06 at 384x256 and at full size at 0.25 bpp
(width 45, two images); RESULTS.md's "Peak learning rate 0.06" left 0.5 bpp (width 66) as the rate to watch.
Not adopted: the mean gain is within the fits' spread (RESULTS.md, "Peak learning rate 0.045 at 0.5 bpp, full size").
The last line reads the two files per image as two tries of one encode (keep the better at equal rate): what a second
fit with any perturbation might be worth there.

lr 0.045's lines: `OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size full --config bpp=0.5,lr=0.045`,
two at a time on the Intel Xeon VM with AVX-512 and AMX (the same VM kind as the 0.06 files, where single-thread fits
repeat exactly), in lr_fullsize_0.5.txt; lr 0.06's are paired.fullsize_1_18_0_at_half's.
Run from the repository root: python samples/perf-cpu/lr_fullsize_0.5_compare.py"""
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_per_image, fullsize_1_18_0_at_half, load, local_slope, mean, rounding_cost, se, sweep  # noqa: E402

base, quarter = fullsize_1_18_0_at_half(), sweep("rd-kodak-768x512-1.18.0-cpu", "bpp=0.25")
slope = local_slope(quarter, base, sorted(base))
new = load("lr_fullsize_0.5.txt", "bpp=0.5,lr=0.045")
images = sorted(new)
print(f"768x512, 0.5 bpp, lr 0.045 against 0.06 (1.18.0/1.19.0's default); 1.18.0's slope from 0.25 bpp {slope:.2f} dB "
      f"per doubling")
e = compare_per_image("  lr 0.06 -> 0.045", base, new, slope)
print(f"  better at equal rate: {sum(x > 0 for x in e)} of {len(e)}")
print("  float PSNR: " + " ".join(f"{i[:-4]} {new[i]['float_psnr'] - base[i]['float_psnr']:+.2f}" for i in images))
print(f"  rounding cost (float minus decoded): {rounding_cost(base, images):.3f} -> {rounding_cost(new, images):.3f} dB; "
      f"encode seconds {mean(base, 'seconds', images):.0f} -> {mean(new, 'seconds', images):.0f}")
print("  lr 0.06's gain from its 0.25 bpp file: " + " ".join(f"{i[:-4]} {base[i]['psnr'] - quarter[i]['psnr']:+.2f}"
                                                           for i in images))
best = [max(x, 0.0) for x in e]
print(f"  the better of the two fits per image (at equal rate, over lr 0.06's): {st.mean(best):+.3f} dB (SE {se(best):.3f});"
      f" the largest single differences {min(e):+.2f} and {max(e):+.2f} dB")
