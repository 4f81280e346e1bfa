"""Session 20: version 1.4.0 (depthwise kernels, width 45 at 7 bits) at full size (768x512), 0.25 bpp, on the four Kodak
images session 19 encoded with version 1.3.1 (no kernels, width 49 at 7 bits), paired by image; against version 1.1.0's
full-size H100 sweep too (session 21: on all 12 images, the other eight encoded with 1.4.0's code), and its files against --bpp's size model with the kernels. Then the same at 0.125 bpp (1.4.0:
width 30 at 7 bits with kernels; 1.3.1: width 34 at 7 bits, session 18's k=158,bits=7 lines, the same fit as its --bpp).

Run from the repository root: python samples/perf-cpu/fullsize_depthwise_compare.py"""
import math
import statistics as st

from paired import compare, equal_rate, load, local_slope, mean, model_error, sweep

from ddcodec.presets import WEIGHT_L1

old = sweep("rd-kodak-768x512", "bpp=0.25")
old_05 = sweep("rd-kodak-768x512", "bpp=0.5")
every = sorted(old)
# 1.1.0's local slope between its 0.25 and 0.5 bpp points (dB per doubling of rate), for equal-rate figures
slope = local_slope(old, old_05, every)
at_025 = mean(old, "psnr", every) + slope * math.log2(0.25 / mean(old, "bpp", every))
v131 = load("fullsize_0.25_1.3.1.txt", "bpp=0.25")
v140 = load("fullsize_0.25_1.4.0.txt", "bpp=0.25")
images = sorted(v140)
four = sorted(v131)  # session 19 encoded four images with 1.3.1
print(f"768x512, 0.25 bpp, {len(images)} images ({', '.join(i[:-4] for i in images)}); 1.4.0 width "
      f"{v140[images[0]]['width']} at {v140[images[0]]['bits']} bits with kernels, 1.3.1 width {v131[four[0]]['width']}")
compare("1.4.0 against 1.3.1", v131, {i: v140[i] for i in four}, slope)
compare("1.4.0 against 1.1.0", {i: old[i] for i in images}, v140, slope)
equal = equal_rate(old, v140, slope, images)
print("per image at equal rate against 1.1.0: " + " ".join(f"{i[:-4]} {x:+.2f}" for i, x in zip(images, equal)))
if len(images) < len(every):
    print(f"1.1.0's 12-image mean read at 0.25 bpp ({at_025:.2f}) plus that difference: {at_025 + st.mean(equal):.2f} dB "
          f"(an estimate from {len(images)} images, not a 12-image measurement)")
else:  # read at 0.25 bpp the way 1.1.0's mean was: along 1.1.0's local slope
    at_025_new = mean(v140, "psnr", images) + slope * math.log2(0.25 / mean(v140, "bpp", images))
    print(f"12-image means: 1.4.0 {mean(v140, 'psnr', images):.2f} dB at {mean(v140, 'bpp', images):.4f} bpp, read at "
          f"0.25 bpp {at_025_new:.2f} dB; 1.1.0 {mean(old, 'psnr', images):.2f} dB at {mean(old, 'bpp', images):.4f} "
          f"bpp, read at 0.25 bpp {at_025:.2f} dB (JPEG 2000 29.36, required 26.5, COIN 25.85)")
off = [v140[i]["bpp"] / 0.25 - 1 for i in images]
errors = [model_error(v140[i], 768 * 512, weight_l1=WEIGHT_L1, depthwise=0b111111) for i in images]
print(f"files {min(off):+.1%} to {max(off):+.1%} of the target; against the size model (real / predicted - 1): mean "
      f"{st.mean(errors):+.1%}, from {min(errors):+.1%} to {max(errors):+.1%}")
print(f"encode seconds (one thread each, two processes; session 20's four images, the others' were not timed "
      f"alone): 1.3.1 {mean(v131, 'seconds', four):.0f}, 1.4.0 {mean(v140, 'seconds', four):.0f}")

v125 = load("fullsize_0.125_1.4.0.txt", "bpp=0.125")
if v125:
    old_125 = sweep("rd-kodak-768x512", "bpp=0.125")  # 1.1.0's slope between 0.125 and 0.25 bpp (``old``)
    slope = local_slope(old_125, old, every)
    base = load("fullsize_plans_1.3.0.txt", "k=158,bits=7")
    images = sorted(v125)
    print(f"\n768x512, 0.125 bpp, {len(images)} images; 1.4.0 width {v125[images[0]]['width']} at "
          f"{v125[images[0]]['bits']} bits with kernels, 1.3.1 width {base[images[0]]['width']} (1.1.0's slope to 0.25 bpp)")
    compare("1.4.0 against 1.3.1", {i: base[i] for i in images}, v125, slope)
    equal = equal_rate(base, v125, slope, images)
    print("per image at equal rate against 1.3.1: " + " ".join(f"{i[:-4]} {x:+.2f}" for i, x in zip(images, equal)))
    errors = [model_error(v125[i], 768 * 512, weight_l1=WEIGHT_L1, depthwise=0b111111) for i in images]
    off = [v125[i]["bpp"] / 0.125 - 1 for i in images]
    print(f"files {min(off):+.1%} to {max(off):+.1%} of the target; against the size model: mean {st.mean(errors):+.1%}, "
          f"from {min(errors):+.1%} to {max(errors):+.1%}; encode seconds 1.3.1 {mean(base, 'seconds', images):.0f}, "
          f"1.4.0 {mean(v125, 'seconds', images):.0f}")
