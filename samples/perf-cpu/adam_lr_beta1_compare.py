"""Session 32: the default preset's main fit with another one-cycle peak learning rate (0.02, 0.045, 0.06 against
0.03) or Adam momentum decay beta1 (0.8, 0.95 against 0.9), beside 1.13.0's beta2 0.99, at 384x256. Each config of
adam_lr_beta1_384x256.txt against the 1.13.0 RD sweep's files at its target (samples/rd-kodak-384x256-1.13.0; the
same plans, and single-thread fits repeat exactly), at equal rate along the sweep's own slope.
Run from the repository root: python samples/perf-cpu/adam_lr_beta1_compare.py"""
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_to_sweep, load, se  # noqa: E402

NAME, SWEEP = "adam_lr_beta1_384x256.txt", "rd-kodak-384x256-1.13.0"
CONFIGS = ["bpp=0.25,lr=0.02", "bpp=0.25,lr=0.045", "bpp=0.25,lr=0.06", "bpp=0.25,beta1=0.8", "bpp=0.25,beta1=0.95",
           "bpp=0.125,lr=0.045", "bpp=0.5,lr=0.045"]
for config in CONFIGS:
    compare_to_sweep(NAME, config, SWEEP, f"{config} against 1.13.0")
# the two peak learning rates above 0.03 on the images both ran
a, b = load(NAME, "bpp=0.25,lr=0.045"), load(NAME, "bpp=0.25,lr=0.06")
both = sorted(set(a) & set(b))
if both:
    d = [b[i]["psnr"] - a[i]["psnr"] for i in both]
    print(f"lr 0.06 against 0.045 at 0.25 bpp, {len(both)} images: {st.mean(d):+.3f} dB (SE {se(d):.3f}; "
          f"bpp {st.mean(b[i]['bpp'] for i in both) / st.mean(a[i]['bpp'] for i in both) - 1:+.1%})")
