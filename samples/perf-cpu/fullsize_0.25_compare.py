"""Session 19: version 1.3.1 at full size (768x512), 0.25 bpp (its plan: width 49, 7 bits), four Kodak images on
2 CPU cores, against version 1.1.0's full-size H100 sweep at the same target (samples/rd-kodak-768x512), and its
files against --bpp's calibrated size model, at a width the calibration had not seen (10 to 37).

Run from the repository root: python samples/perf-cpu/fullsize_0.25_compare.py"""
import math
import statistics as st

from paired import equal_rate, load, local_slope, mean, model_error, se, sweep

from ddcodec.presets import WEIGHT_L1

old = sweep("rd-kodak-768x512", "bpp=0.25")
old_05 = sweep("rd-kodak-768x512", "bpp=0.5")
every = sorted(old)



# 1.1.0's local slope between its 0.25 and 0.5 bpp points (dB per doubling of rate), for equal-rate figures
slope = local_slope(old, old_05, every)
at_025 = mean(old, "psnr", every) + slope * math.log2(0.25 / mean(old, "bpp", every))
print(f"768x512, 0.25 bpp. Version 1.1.0 (H100 sweep, width 48, 7 bits): {mean(old, 'bpp', every):.4f} bpp, "
      f"{mean(old, 'psnr', every):.2f} dB over the 12 images ({at_025:.2f} read at 0.25 bpp); its slope to 0.5 bpp "
      f"{slope:.2f} dB per doubling")
new = load("fullsize_0.25_1.3.1.txt", "bpp=0.25")
images = sorted(new)
diff = [new[i]["psnr"] - old[i]["psnr"] for i in images]
equal = equal_rate(old, new, slope, images)
off = [new[i]["bpp"] / 0.25 - 1 for i in images]
print(f"1.3.1 (width {new[images[0]]['width']}, {new[images[0]]['bits']} bits), {len(images)} images "
      f"({', '.join(i[:-4] for i in images)}): {mean(new, 'bpp', images):.4f} bpp (files {min(off):+.1%} to {max(off):+.1%} "
      f"of the target), {mean(new, 'psnr', images):.2f} dB (1.1.0 on them {mean(old, 'psnr', images):.2f}); difference "
      f"{st.mean(diff):+.3f} dB (SE {se(diff):.3f}; {sum(d > 0 for d in diff)} better), at equal rate {st.mean(equal):+.3f} dB "
      f"(SE {se(equal):.3f}); per image at equal rate " + " ".join(f"{x:+.2f}" for x in equal))
print(f"1.1.0's 12-image mean read at 0.25 bpp plus that difference: {at_025 + st.mean(equal):.2f} dB (an estimate from "
      f"{len(images)} images, not a 12-image measurement)")
for label, penalised in (("without", False), ("with", True)):
    errors = [model_error(r, 768 * 512, weight_l1=WEIGHT_L1 if penalised else 0.0) for r in new.values()]
    print(f"files against the size model {label} its penalty allowance (real / predicted - 1): mean {st.mean(errors):+.1%}, "
          f"from {min(errors):+.1%} to {max(errors):+.1%}")
