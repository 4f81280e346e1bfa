"""Session 47: rate control's trim (1.22.0) against a second, narrower fit (1.5.0 to 1.21.0), where a full-size
file came out more than 3% over its target.

In session 46 (version 1.20.0's encoder, single thread, 2 cores of an AMD EPYC Zen 4) kodim05's and kodim13's files at
768x512 and 0.25 bpp (7 bits, width 45) came out more than 3% over and were fitted again at width 44
(bits_768x512_0.25.txt, config bpp=0.25; their times are both fits'). Version 1.22.0 sees from the float fit that they
would (trim_levels_prediction.txt: the float fit rounded plainly predicted kodim05's file within 0.02%) and rounds
them to 61 of 63 levels instead (trim_768x512_0.25.txt). Equal rate along the full-size CPU sweep's slope between
0.125 and 0.25 bpp, as bits_choice_compare.py. Run from the repository root:
python samples/perf-cpu/trim_levels_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_per_image, load, local_slope, sweep  # noqa: E402

FULL = "rd-kodak-768x512-1.18.0-cpu"
refit, trimmed = load("bits_768x512_0.25.txt", "bpp=0.25"), load("trim_768x512_0.25.txt", "bpp=0.25")
slope = local_slope(sweep(FULL, "bpp=0.125"), sweep(FULL, "bpp=0.25"), sorted(sweep(FULL, "bpp=0.25")))
for label, rows in (("fitted again at width 44 (1.21.0)", refit), ("trimmed, width 45 (1.22.0)", trimmed)):
    for image in sorted(trimmed):
        r = rows[image]
        print(f"  {label:34s} {image}: width {r['width']}, {r['bits']} bits, {r['levels']} levels, {r['bpp']:.4f} bpp, "
              f"float {r['float_psnr']:.2f}, decoded {r['psnr']:.2f} dB, {r['seconds']:.0f} s")
compare_per_image(f"trimmed against fitted again, slope {slope:.2f} dB per doubling", refit, trimmed, slope)
