"""Sessions 40 and 41: depth 7 (one more upsampling level, so a 6x4 input grid at 768x512 instead of 12x8) against version
1.18.0's default depth 6 at full size, image by image at equal rate.

Depth 7: `OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png ... --size full --config bpp=B,depth=7`,
single thread, two processes at a time, on the Intel Xeon VM with AVX-512 and AMX of sessions 37-41
(fullsize_depth7_1.18.0.txt). Depth 6: the same encoder's files in the RD tool's full-size CPU run of session 39
(samples/rd-kodak-768x512-1.18.0-cpu, single-thread encodes, two at a time; single-thread fits repeat exactly on this
VM kind, so they are what the ablation tool gives at depth 6). Equal rate along 1.18.0's own 12-image slope (0.125 to
0.25 bpp at 0.125; at 0.25 the mean of both sides, 0.5 bpp from fullsize_0.5_1.18.0.txt). At 0.18 bpp (session 41),
where depth 6 has no files, against each image's depth-6 curve read at the depth-7 file's own rate (``depth6_at``).
Run from the repository root: python samples/perf-cpu/fullsize_depth7_compare.py"""
import math
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import numpy as np  # noqa: E402

from paired import (compare_per_image, fullsize_1_18_0_at_half, load, local_slope, mean, model_error,  # noqa: E402
                    rounding_cost, se, sweep)

from ddcodec import codec, format as fmt  # noqa: E402
from ddcodec.presets import PRESETS  # noqa: E402
from ddcodec.ratecontrol import bytes_per_weight, predicted_bytes  # noqa: E402

SWEPT = "rd-kodak-768x512-1.18.0-cpu"
OUTPUT = "fullsize_depth7_1.18.0.txt"
PIXELS, DEEPER, KERNELS = 768 * 512, 7, fmt.all_layers(7)  # every depth-7 plan here has kernels (widths 27 to 41)
SCHEDULE = PRESETS["default"]


def size_model(target: float, rows: dict[str, dict], images: list[str]) -> str:
    """Rate control at depth 7: the files over the size model's prediction, and the plan's width and the next one
    predicted against the target (files land under it when the next width would be over)."""
    ratios = [1 + model_error(rows[i], PIXELS, SCHEDULE.fixed_scale, SCHEDULE.weight_l1, KERNELS, DEEPER) for i in images]
    width = codec.plan_network(512, 768, 3, bpp=target, depth=DEEPER, schedule=SCHEDULE)[0]

    def planned(w: int) -> float:
        per_weight = bytes_per_weight(7, w, DEEPER, 3, SCHEDULE.fixed_scale, SCHEDULE.weight_l1, KERNELS)
        return predicted_bytes(w, DEEPER, 3, 7, per_weight, KERNELS) / (target * PIXELS / 8)

    return (f"  size model: files {np.mean(ratios):.3f} of their prediction on average ({min(ratios):.3f} to "
            f"{max(ratios):.3f}); plan width {width} predicted {planned(width) - 1:+.1%} of the target, width "
            f"{width + 1} {planned(width + 1) - 1:+.1%}")

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
          f"{sorted({deeper[i]['width'] for i in images})}); rounding cost {rounding_cost(deeper, images):.2f} dB; "
          f"encode {mean(depth6[target], 'seconds', images):.0f} -> {mean(deeper, 'seconds', images):.0f} s")
    print(size_model(target, deeper, images))
    print(f"  at equal rate: {sum(d > 0 for d in diffs)} of {len(diffs)} better, median {st.median(diffs):+.2f} dB")
    if len(images) == len(every):  # the 12-image curve with depth 7's point at this target
        read = mean(deeper, "psnr", images) + slope[target] * math.log2(target / mean(deeper, "bpp", images))
        before = mean(depth6[target], "psnr", every) + slope[target] * math.log2(
            target / mean(depth6[target], "bpp", every))
        print(f"  the 12-image mean read at {target:g} bpp along that slope: {before:.2f} (depth 6) -> {read:.2f} dB "
              "(depth 7)")


def depth6_at(image: str, bpp: float, quadratic: bool = True) -> float:
    """Depth 6's PSNR on ``image`` at ``bpp``, between its 0.125 and 0.25 bpp files: a quadratic in log2(rate)
    through its three files (0.125, 0.25, 0.5 bpp), or the straight line through the first two. PSNR per doubling
    of rate falls from 2.21 to 1.63 dB over those rates, so the straight line reads about 0.07 dB low midway."""
    rates = [math.log2(depth6[t][image]["bpp"]) for t in (0.125, 0.25, 0.5)]
    psnrs = [depth6[t][image]["psnr"] for t in (0.125, 0.25, 0.5)]
    if not quadratic:
        return float(np.interp(math.log2(bpp), rates[:2], psnrs[:2]))
    return float(np.polyval(np.polyfit(rates, psnrs, 2), math.log2(bpp)))


MIDDLE = 0.18
deeper = load(OUTPUT, f"bpp={MIDDLE:g},depth=7")
if deeper:  # session 41: the 0.18 bpp files, against depth 6 read at each file's own rate (no depth-6 files there)
    images = sorted(deeper)
    print(f"{MIDDLE:g} bpp, depth 7 against depth 6 read at the same rate on its own curve (0.125, 0.25, 0.5 bpp files):")
    for quadratic in (True, False):
        diffs = [deeper[i]["psnr"] - depth6_at(i, deeper[i]["bpp"], quadratic) for i in images]
        print(f"  {'quadratic' if quadratic else 'straight line'}: {len(images)} images, at equal rate "
              f"{st.mean(diffs):+.2f} dB (SE {se(diffs):.2f}), {sum(d > 0 for d in diffs)} better, median "
              f"{st.median(diffs):+.2f}")
        print("  per image: " + " ".join(f"{i[:-4]} {x:+.2f}" for i, x in zip(images, diffs)))
    off = [deeper[i]["bpp"] / MIDDLE - 1 for i in images]
    print(f"  depth 7's files {min(off):+.1%} to {max(off):+.1%} of the target (widths "
          f"{sorted({deeper[i]['width'] for i in images})}); rounding cost "
          f"{rounding_cost(deeper, images):.2f} dB; encode "
          f"{mean(deeper, 'seconds', images):.0f} s; mean {mean(deeper, 'psnr', images):.2f} dB at "
          f"{mean(deeper, 'bpp', images):.4f} bpp")
    print(size_model(MIDDLE, deeper, images))
