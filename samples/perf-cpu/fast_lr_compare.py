"""Session 33: the fast preset's main fit at peak lr 0.045, 0.06 and 0.08 against its 0.03 (1.14.0, with beta2 0.99) at
384x256, 0.25 bpp (0.06 and 0.08 also at 0.125 and 0.5 bpp), the 12 Kodak images (fast_lr_384x256.txt against
fast_beta2_rates_384x256.txt's beta2 0.99 lines: the same plans, and single-thread fits repeat exactly), at equal rate
along the 1.13.0 RD sweep's own slope. Session 34: lr 0.1 against 0.08 (1.15.0) at 0.25 bpp.
Run from the repository root: python samples/perf-cpu/fast_lr_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_per_image, load, sweep_slope  # noqa: E402

for bpp, lr in ((0.25, "0.045"), (0.125, "0.06"), (0.25, "0.06"), (0.5, "0.06"), (0.125, "0.08"), (0.25, "0.08"), (0.5, "0.08")):
    base = load("fast_beta2_rates_384x256.txt", f"preset=fast,bpp={bpp},beta2=0.99")
    slope = sweep_slope("rd-kodak-384x256-1.13.0", bpp)
    new = load("fast_lr_384x256.txt", f"preset=fast,bpp={bpp},beta2=0.99,lr={lr}")
    compare_per_image(f"fast, {bpp} bpp, lr {lr} against 0.03", base, new, slope)
# 0.08 (1.15.0) against 0.06 on the same images
for bpp, low, high in ((0.125, "0.06", "0.08"), (0.25, "0.06", "0.08"), (0.5, "0.06", "0.08"), (0.25, "0.08", "0.1")):
    rows = {lr: load("fast_lr_384x256.txt", f"preset=fast,bpp={bpp},beta2=0.99,lr={lr}") for lr in (low, high)}
    compare_per_image(f"fast, {bpp} bpp, lr {high} against {low}", rows[low], rows[high],
                      sweep_slope("rd-kodak-384x256-1.13.0", bpp))
