"""Session 23: full size (768x512), version 1.5.0 at 0.5 bpp (its plan: width 66 at 7 bits with depthwise kernels)
against version 1.1.0's H100 sweep (samples/rd-kodak-768x512: no kernels, width 69), image by image, and what that
puts the 12-image mean at beside JPEG's 29.06 dB (issue 4's requirement at 0.5 bpp); then, at 0.5 and 0.25 bpp,
1.6.0's fine-tune (learning rate 1e-4) against 1.5.0's (1e-3) on the same main fits.

1.5.0's files: kodim01 from ``python -m ddcodec.ablation`` (fullsize_0.5_1.5.0.txt), the others from
quant_loss_split.py (quant_loss_split_768x512.txt), whose "default fine-tune" is 1.5.0's encode (its PSNR and
payload; the file adds paired.HEADER_BYTES) and whose "fine-tune lr 1e-4" is 1.6.0's from the same main fit.
Since session 24 (retry), also 1.7.0 (main fit in bfloat16) on kodim01 and kodim13 (bf16_fullsize_0.5.txt) against
1.1.0 and against the float32 encodes before it (kodim01: 1.5.0; kodim13: 1.6.0, the same settings but bfloat16).

Run from the repository root: python samples/perf-cpu/fullsize_0.5_compare.py"""
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import equal_rate, fullsize_1_1_0, load, mean, se, split_runs  # noqa: E402

old, slope, at_05 = fullsize_1_1_0(0.5)
every = sorted(old)
print(f"768x512, 0.5 bpp. Version 1.1.0 (H100 sweep, no kernels): {mean(old, 'bpp', every):.4f} bpp, "
      f"{mean(old, 'psnr', every):.2f} dB over the 12 images ({at_05:.2f} read at 0.5 bpp); its slope from 0.25 bpp "
      f"{slope:.2f} dB per doubling")
diag = split_runs("quant_loss_split_768x512.txt")
at_half = diag.get(("768x512", "0.5"), {})
new = {**load("fullsize_0.5_1.5.0.txt", "bpp=0.5"),
       **{image: runs["default fine-tune"] for image, runs in at_half.items() if "default fine-tune" in runs}}
images = sorted(new)
equal = equal_rate(old, new, slope, images)
off = [new[i]["bpp"] / 0.5 - 1 for i in images]
print(f"1.5.0 (width 66, 7 bits, kernels), {len(images)} images ({', '.join(i[:-4] for i in images)}): "
      f"{mean(new, 'bpp', images):.4f} bpp (files {min(off):+.1%} to {max(off):+.1%} of the target), "
      f"{mean(new, 'psnr', images):.2f} dB (1.1.0 on them {mean(old, 'psnr', images):.2f}); at equal rate "
      f"{st.mean(equal):+.3f} dB" + (f" (SE {se(equal):.3f})" if len(equal) > 1 else "") + "; per image "
      + " ".join(f"{i[:-4]} {x:+.2f}" for i, x in zip(images, equal)))
print(f"1.1.0's 12-image mean read at 0.5 bpp plus that difference: {at_05 + st.mean(equal):.2f} dB, against JPEG's "
      f"29.06 (an estimate from {len(images)} images, not a 12-image measurement)")
gains = []
for (size, rate), runs in sorted(diag.items()):
    for image, variants in sorted(runs.items()):
        base = variants.get("default fine-tune")
        for label, row in variants.items():
            if base is not None and label != "default fine-tune":
                print(f"{image[:-4]} {size} {rate} bpp, {label} against 1.5.0's fine-tune: {row['psnr'] - base['psnr']:+.3f} dB, "
                      f"bpp {base['bpp']:.4f} -> {row['bpp']:.4f} ({row['bpp'] / base['bpp'] - 1:+.1%})")
                if label == "fine-tune lr 1e-4":
                    gains.append(row["psnr"] - base["psnr"])
print(f"fine-tune lr 1e-4 against 1.5.0's, {len(gains)} full-size fits: {st.mean(gains):+.3f} dB on average, "
      f"{sum(g > 0 for g in gains)} better")

bf16 = load("bf16_fullsize_0.5.txt", "bpp=0.5")
if bf16:
    images = sorted(bf16)
    float32 = {"kodim01.png": new["kodim01.png"], "kodim13.png": at_half["kodim13.png"]["fine-tune lr 1e-4"]}
    vs_old = equal_rate(old, bf16, slope, images)
    vs_f32 = equal_rate(float32, bf16, slope, images)
    print(f"1.7.0 (bfloat16 main fit), {len(images)} images: {mean(bf16, 'bpp', images):.4f} bpp, "
          f"{mean(bf16, 'psnr', images):.2f} dB; at equal rate against 1.1.0 {st.mean(vs_old):+.3f} dB (SE "
          f"{se(vs_old):.3f}; " + " ".join(f"{i[:-4]} {x:+.2f}" for i, x in zip(images, vs_old)) + "), against the "
          "float32 encodes (kodim01 1.5.0, kodim13 1.6.0) " + " ".join(f"{i[:-4]} {x:+.2f}" for i, x in zip(images, vs_f32)))
    print(f"1.1.0's 12-image mean read at 0.5 bpp plus 1.7.0's difference: {at_05 + st.mean(vs_old):.2f} dB, against "
          f"JPEG's 29.06 (an estimate from {len(images)} images)")
