"""Session 40: depth 7 (one more upsampling level, so a 6x4 input grid at 768x512 instead of 12x8) against version
1.18.0's default depth 6 at full size, image by image at equal rate.

Depth 7: `OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png ... --size full --config bpp=B,depth=7`,
single thread, two processes at a time, on the Intel Xeon VM with AVX-512 and AMX of sessions 37-40
(fullsize_depth7_1.18.0.txt). Depth 6: the same encoder's files in the RD tool's full-size CPU run of session 39
(samples/rd-kodak-768x512-1.18.0-cpu, single-thread encodes, two at a time; single-thread fits repeat exactly on this
VM kind, so they are what the ablation tool gives at depth 6). Equal rate along 1.18.0's own 12-image slope (0.125 to
0.25 bpp at 0.125; at 0.25 the mean of both sides, 0.5 bpp from fullsize_0.5_1.18.0.txt).
Run from the repository root: python samples/perf-cpu/fullsize_depth7_compare.py"""
import math
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_per_image, fullsize_1_18_0_at_half, load, local_slope, mean, sweep  # noqa: E402

SWEPT = "rd-kodak-768x512-1.18.0-cpu"
OUTPUT = "fullsize_depth7_1.18.0.txt"

depth6 = {0.125: sweep(SWEPT, "bpp=0.125"), 0.25: sweep(SWEPT, "bpp=0.25"), 0.5: fullsize_1_18_0_at_half()}
every = sorted(depth6[0.125])
sides = [local_slope(depth6[a], depth6[b], every) for a, b in ((0.125, 0.25), (0.25, 0.5))]
slope = {0.125: sides[0], 0.25: (sides[0] + sides[1]) / 2}

for target in slope:
    deeper = load(OUTPUT, f"bpp={target:g},depth=7")
    images = sorted(deeper)
    print(f"{target:g} bpp, depth 7 against depth 6 (1.18.0, slope {slope[target]:.2f} dB per doubling):")
    diffs = compare_per_image("  depth 7 against 6", depth6[target], deeper, slope[target])
    off = [deeper[i]["bpp"] / target - 1 for i in images]
    print(f"  depth 7's files {min(off):+.1%} to {max(off):+.1%} of the target (widths "
          f"{sorted({deeper[i]['width'] for i in images})}); rounding cost {mean(deeper, 'float_psnr', images) - mean(deeper, 'psnr', images):.2f} dB; "
          f"encode {mean(depth6[target], 'seconds', images):.0f} -> {mean(deeper, 'seconds', images):.0f} s")
    print(f"  at equal rate: {sum(d > 0 for d in diffs)} of {len(diffs)} better, median {st.median(diffs):+.2f} dB")
    if len(images) == len(every):  # the 12-image curve with depth 7's point at this target
        read = mean(deeper, "psnr", images) + slope[target] * math.log2(target / mean(deeper, "bpp", images))
        before = mean(depth6[target], "psnr", every) + slope[target] * math.log2(
            target / mean(depth6[target], "bpp", every))
        print(f"  the 12-image mean read at {target:g} bpp along that slope: {before:.2f} (depth 6) -> {read:.2f} dB "
              "(depth 7)")
