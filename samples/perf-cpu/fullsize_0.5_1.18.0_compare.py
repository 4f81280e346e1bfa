"""Session 38: full size (768x512), version 1.18.0's default at 0.5 bpp (its plan: width 66 at 7 bits with kernels)
against version 1.1.0's H100 sweep (samples/rd-kodak-768x512: no kernels, width 69), image by image at equal rate
along 1.1.0's local slope from 0.25 bpp, and what that puts the 12-image mean at beside JPEG's 29.06 dB (issue 4's
requirement at 0.5 bpp). 1.18.0's files are single-thread CPU encodes (bfloat16 main fit, as a CPU with AMX runs the
default preset), `OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size full --config bpp=0.5`, two at a
time, in fullsize_0.5_1.18.0.txt (kodim21's, the twelfth, from session 39); kodim03's is session 37's
(rounding_stage_7bit_768x512.txt, its stage pinned as 1.18.0 has it); paired.fullsize_1_18_0_at_half joins them. The same images' 1.7.0 encodes (bf16_fullsize_0.5.txt), where there are any, show the way between.
Run from the repository root: python samples/perf-cpu/fullsize_0.5_1.18.0_compare.py"""
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import (equal_rate, fullsize_1_1_0, fullsize_1_18_0_at_half, load, mean, rounding_cost,  # noqa: E402
                    se)

old, slope, at_05 = fullsize_1_1_0(0.5)
every = sorted(old)
print(f"768x512, 0.5 bpp. Version 1.1.0 (H100 sweep, no kernels, width 69): {mean(old, 'bpp', every):.4f} bpp, "
      f"{mean(old, 'psnr', every):.2f} dB over the 12 images ({at_05:.2f} read at 0.5 bpp); its slope from 0.25 bpp "
      f"{slope:.2f} dB per doubling")
new = fullsize_1_18_0_at_half()
images = sorted(new)
equal = equal_rate(old, new, slope, images)
off = [new[i]["bpp"] / 0.5 - 1 for i in images]
print(f"1.18.0 (width {'/'.join(sorted({str(new[i]['width']) for i in images}))}, 7 bits, kernels), {len(images)} images: "
      f"{mean(new, 'bpp', images):.4f} bpp (files {min(off):+.1%} to {max(off):+.1%} of the target), "
      f"{mean(new, 'psnr', images):.2f} dB (1.1.0 on them {mean(old, 'psnr', images):.2f}); at equal rate "
      f"{st.mean(equal):+.3f} dB (SE {se(equal):.3f}; {sum(x > 0 for x in equal)} better); per image "
      + " ".join(f"{i[:-4]} {x:+.2f}" for i, x in zip(images, equal)))
print(f"  rounding cost (float minus decoded) {rounding_cost(new, images):+.3f} dB; "
      f"encode seconds {min(new[i]['seconds'] for i in images):.0f} to {max(new[i]['seconds'] for i in images):.0f} "
      f"(single thread, two at a time)")
estimate, margin = at_05 + st.mean(equal), 2 * se(equal)
if len(images) == len(every):  # session 39 encoded the twelfth image, kodim21
    print(f"1.1.0's 12-image mean read at 0.5 bpp plus that difference: {estimate:.2f} dB, against JPEG's 29.06 "
          f"(1.18.0's own mean read at 0.5 bpp: fullsize_1.18.0_compare.py)")
else:
    print(f"1.1.0's 12-image mean read at 0.5 bpp plus that difference: {estimate:.2f} dB (+- {margin:.2f}, two "
          f"standard errors of the {len(images)} images' differences), against JPEG's 29.06: an estimate, not a "
          f"12-image measurement")
mid = load("bf16_fullsize_0.5.txt", "bpp=0.5")
for i in sorted(set(mid) & set(new)):
    print(f"  {i[:-4]}: 1.1.0 {old[i]['psnr']:.2f} dB at {old[i]['bpp']:.4f} bpp, 1.7.0 {mid[i]['psnr']:.2f} at "
          f"{mid[i]['bpp']:.4f}, 1.18.0 {new[i]['psnr']:.2f} at {new[i]['bpp']:.4f}")

