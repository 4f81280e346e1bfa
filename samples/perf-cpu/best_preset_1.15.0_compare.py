"""Session 34: the best preset against the default of 1.15.0, and rebuilt on the default's schedule (``k=32,iters=6000,
qat=1200``: 1.15.0's default main fit, beta2 0.99 and peak lr 0.06, 6,000 steps, a quarter at quarter size and a quarter
at half size; its progressive rounding; then best's 1,200-step fine-tune), whole encodes at 384x256, -k 32 (width 33,
7 bits), kodim01, 05, 15 and 23, paired by image at equal rate along the 1.2.0 default's slope at k=32
(paired.slopes). The new lines are in best_preset_1.15.0_384x256.txt; the best preset's are session 30's
(best_preset_384x256.txt, 1.12.0: its code path is unchanged since, checked by a short best-preset fit giving the same
file at 1.12.0 and 1.15.0). Then 1.16.0's best preset at 0.25 bpp (width 18, 8 bits) on six images against 1.15.0's
default there (session 33's lr 0.06 lines; both with the portrait kodim09 and 19 squashed to 384x256, as ablation did
then), along the 1.13.0 sweep's slope.
Run from the repository root: python samples/perf-cpu/best_preset_1.15.0_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_per_image, load, mean, slopes, sweep_slope  # noqa: E402

NEW = "best_preset_1.15.0_384x256.txt"
best = load("best_preset_384x256.txt", "preset=best,k=32")
default = load(NEW, "k=32")
rebuilt = load(NEW, "k=32,iters=6000,qat=1200")
for label, base, new in (("1.15.0's default against its best preset (1.12.0's)", best, default),
                         ("best on the default's schedule against the best preset", best, rebuilt),
                         ("best on the default's schedule against 1.15.0's default", default, rebuilt)):
    compare_per_image(f"384x256, -k 32, {label}", base, new, slopes()[32])
    images = sorted(set(base) & set(new))
    print("  float PSNR and rounding cost (float minus decoded): " + "; ".join(
        f"{mean(r, 'float_psnr', images):.2f} and {mean(r, 'float_psnr', images) - mean(r, 'psnr', images):.2f} dB"
        for r in (base, new)) + f"; encode seconds {mean(base, 'seconds', images):.0f} -> "
        f"{mean(new, 'seconds', images):.0f} (single thread, two processes)")
default_025 = {**load("adam_lr_beta1_384x256.txt", "bpp=0.25,lr=0.06"),
               **load("adam_lr_0.06_384x256.txt", "bpp=0.25,lr=0.06")}
best_025 = load(NEW, "preset=best,bpp=0.25")
compare_per_image("384x256, 0.25 bpp, 1.16.0's best preset against the default", default_025, best_025,
                  sweep_slope("rd-kodak-384x256-1.13.0", 0.25))
images = sorted(best_025)
print(f"  encode seconds {mean(default_025, 'seconds', images):.0f} -> {mean(best_025, 'seconds', images):.0f} "
      "(single thread, two processes)")
