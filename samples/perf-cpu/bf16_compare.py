"""Session 24: full size (768x512), 0.25 bpp (the plan: width 45 at 7 bits with depthwise kernels), the default
preset with its main fit in bfloat16 (``bf16=1``) against float32, image by image: PSNR at equal rate and encode time.

float32 files: this session's ``bpp=0.25`` lines in bf16_fullsize_0.25.txt; for images without one there, session
23's 1.6.0 encodes from quant_loss_split_768x512.txt (its "fine-tune lr 1e-4" is the 1.6.0 default's file from the
same single-thread main fit, which this session's float32 kodim03 reproduced: 31.81 dB at 0.2471 bpp, as session 23's
31.807 dB with 12,050 payload bytes). Times are compared only where both ran in this session, side by side. Last, the
bf16 files against version 1.4.0's (fullsize_0.25_1.4.0.txt, all 12 images), for an estimate of the current 12-image mean.

Run from the repository root: python samples/perf-cpu/bf16_compare.py"""
import math
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import equal_rate, load, local_slope, mean, se, split_runs, sweep  # noqa: E402

RUNS = "bf16_fullsize_0.25.txt"
here = load(RUNS, "bpp=0.25")
earlier = {image: runs["fine-tune lr 1e-4"]
           for image, runs in split_runs("quant_loss_split_768x512.txt").get(("768x512", "0.25"), {}).items()}
fp32 = {**earlier, **here}
bf16 = load(RUNS, "bpp=0.25,bf16=1")
images = sorted(set(bf16) & set(fp32))
# the local slope at 0.25 bpp (1.1.0's H100 sweep, 0.125 to 0.25 bpp), for the equal-rate figures: the files differ
# by about 1% in size, so it hardly matters which slope is used
slope = local_slope(sweep("rd-kodak-768x512", "bpp=0.125"), sweep("rd-kodak-768x512", "bpp=0.25"),
                    sorted(sweep("rd-kodak-768x512", "bpp=0.25")))
diffs = equal_rate(fp32, bf16, slope, images)
print(f"768x512, 0.25 bpp, bf16 main fit against float32 (equal rate at {slope:.2f} dB per doubling)")
print(f"{'image':<8} {'float32 bpp, dB':>16} {'bf16 bpp, dB':>14} {'equal rate':>10}  float32 from")
for image, d in zip(images, diffs):
    a, b = fp32[image], bf16[image]
    print(f"{image[:-4]:<8} {a['bpp']:.4f} {a['psnr']:6.2f}   {b['bpp']:.4f} {b['psnr']:6.2f} {d:+10.3f}  "
          f"{'this session' if image in here else 'session 23'}")
print(f"mean over {len(images)} images: {st.mean(diffs):+.3f} dB at equal rate (SE {se(diffs):.3f}; "
      f"{sum(d > 0 for d in diffs)} better)")
timed = sorted(set(here) & set(bf16))
ratios = [bf16[i]["seconds"] / here[i]["seconds"] for i in timed]
print(f"encode seconds where both ran side by side ({len(timed)} images): float32 {st.mean(here[i]['seconds'] for i in timed):.0f}, "
      f"bf16 {st.mean(bf16[i]['seconds'] for i in timed):.0f} (bf16 / float32 {min(ratios):.2f} to {max(ratios):.2f})")
old = load("fullsize_0.25_1.4.0.txt", "bpp=0.25")
both = sorted(set(old) & set(bf16))
gain = equal_rate(old, bf16, slope, both)
every = sorted(old)
at_025 = mean(old, "psnr", every) + slope * math.log2(0.25 / mean(old, "bpp", every))  # 1.4.0's 12 read at 0.25 bpp
print(f"bf16 (1.7.0's default) against 1.4.0's files, {len(both)} images: {st.mean(gain):+.3f} dB at equal rate "
      f"(SE {se(gain):.3f}; {sum(g > 0 for g in gain)} better); 1.4.0's 12 images read at 0.25 bpp {at_025:.2f} dB, "
      f"plus that: {at_025 + st.mean(gain):.2f} dB (an estimate from {len(both)} images)")
