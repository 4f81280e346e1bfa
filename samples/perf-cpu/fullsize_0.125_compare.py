"""Session 18: versions 1.3.0 and 1.3.1 at full size (768x512), 0.125 bpp, 12 Kodak images on 2 CPU cores, against
version 1.1.0's full-size H100 sweep at the same target (samples/rd-kodak-768x512/per_image.csv), COIN's published
curve and Pillow's JPEG 2000; then four images with other plans and settings (fullsize_plans_1.3.0.txt); then the
real file sizes against --bpp's uncalibrated size model, beside the 384x256 sweep's files of the same plan.

1.3.0's --bpp 0.125 planned width 31 at 8 bits (fullsize_0.125_1.3.0.txt). 1.3.1's calibrated size model plans
width 34 at 7 bits: four images ran as k=158,bits=7 (fullsize_plans_1.3.0.txt), the other eight as --bpp 0.125 with
1.3.1 (fullsize_0.125_1.3.1.txt); both are the same fit (width, bits, seed and schedule decide it; k only sets the
width). Run from the repository root: python samples/perf-cpu/fullsize_0.125_compare.py"""
import json
import math
import statistics as st

from paired import FOLDER, equal_rate, fullsize_1_3_1_at_eighth, load, local_slope, mean, model_error, se, sweep

SAMPLES = FOLDER.parent


def at_log_bpp(bpps: list[float], psnrs: list[float], bpp: float) -> float:
    """A curve read at ``bpp``, linear in log(bpp) between its points (as the RD tooling reads it)."""
    for (b0, p0), (b1, p1) in zip(zip(bpps, psnrs), zip(bpps[1:], psnrs[1:])):
        if b0 <= bpp <= b1:
            return p0 + (p1 - p0) * math.log(bpp / b0) / math.log(b1 / b0)
    raise ValueError(f"{bpp} bpp is outside the curve")



old = sweep("rd-kodak-768x512", "bpp=0.125")
old_025 = sweep("rd-kodak-768x512", "bpp=0.25")
images = sorted(old)
# 1.1.0's local slope between its 0.125 and 0.25 bpp points (dB per doubling of rate), for equal-rate figures
slope = local_slope(old, old_025, images)
anchors = json.load(open(SAMPLES.parent.parent / "shared/anchors/kodak_published.json"))["codecs"]
coin = at_log_bpp(anchors["coin"]["bpp"], anchors["coin"]["psnr_rgb"], 0.125)
print(f"768x512, 0.125 bpp. Version 1.1.0 (H100 sweep, width 33, 7 bits): {mean(old, 'bpp', images):.4f} bpp, "
      f"{mean(old, 'psnr', images):.2f} dB over the 12 images; its slope to 0.25 bpp {slope:.2f} dB per doubling.")
print(f"COIN's published curve at 0.125 bpp: {coin:.2f} dB; Pillow's JPEG 2000 26.96 dB (samples/rd-kodak-768x512/bd_table.md)")
v130 = load("fullsize_0.125_1.3.0.txt", "bpp=0.125")
v131 = fullsize_1_3_1_at_eighth()
for label, new in (("1.3.0 (width 31, 8 bits)", v130), ("1.3.1 (width 34, 7 bits)", v131)):
    common = sorted(set(new) & set(old))
    diff = [new[i]["psnr"] - old[i]["psnr"] for i in common]
    equal = equal_rate(old, new, slope, common)
    at = mean(new, "psnr", common) + slope * math.log2(0.125 / mean(new, "bpp", common))
    off = [new[i]["bpp"] / 0.125 - 1 for i in common]
    print(f"{label}, {len(common)} images: {mean(new, 'bpp', common):.4f} bpp (files {min(off):+.1%} to {max(off):+.1%} "
          f"of the target), {mean(new, 'psnr', common):.2f} dB "
          f"(1.1.0 on them {mean(old, 'psnr', common):.2f}); difference {st.mean(diff):+.3f} dB (SE {se(diff):.3f}; "
          f"{sum(d > 0 for d in diff)} better), at equal rate {st.mean(equal):+.3f} dB (SE {se(equal):.3f}); "
          f"read at 0.125 bpp with 1.1.0's slope: {at:.2f} dB")

# Four images with other plans and settings: 1.1.0's settings (no penalty, fitted scales) at its sweep's plan, on the
# CPU, against the H100 file of the sweep, show how much of a difference is the device
others = {"1.3.0, 31 / 8 bits (CPU)": v130, "1.3.0 default, 34 / 7 bits (CPU)": load("fullsize_plans_1.3.0.txt", "k=158,bits=7"),
          "1.1.0 settings, 33 / 7 bits (CPU)": load("fullsize_plans_1.3.0.txt", "k=167,bits=7,l1=0,fixed_scale=0"),
          "1.1.0, 33 / 7 bits (H100 sweep)": old}
common = sorted(set.intersection(*(set(r) for r in others.values())))
base = others["1.1.0 settings, 33 / 7 bits (CPU)"]
print(f"\n{len(common)} images ({', '.join(i[:-4] for i in common)}): mean bpp and PSNR; difference to 1.1.0's settings on "
      f"the CPU at equal rate (SE; per image):")
for label, r in others.items():
    eq = equal_rate(base, r, slope, common)
    print(f"  {label:<34} {mean(r, 'bpp', common):.4f} bpp {mean(r, 'psnr', common):6.2f} dB  {st.mean(eq):+.3f} dB "
          f"({se(eq):.3f}) " + " ".join(f"{x:+.2f}" for x in eq))

print("\nreal files against the size model without its penalty allowance (real / predicted - 1):")
for label, rows, pixels in (("768x512, --bpp 0.125 (1.3.0)", v130, 768 * 512),
                            ("768x512, width 34, 7 bits (1.3.1)", v131, 768 * 512),
                            ("384x256, --bpp 0.5 (the 1.3.0 sweep)",
                             {i: dict(r, width=31, bits=8) for i, r in sweep("rd-kodak-384x256-1.3.0", "bpp=0.5").items()},
                             384 * 256)):
    errors = [model_error(r, pixels) for r in rows.values()]
    first = next(iter(rows.values()))
    print(f"  {label}: width {first['width']}, {first['bits']} bits, {len(errors)} files: mean {st.mean(errors):+.1%}, "
          f"from {min(errors):+.1%} to {max(errors):+.1%}")
