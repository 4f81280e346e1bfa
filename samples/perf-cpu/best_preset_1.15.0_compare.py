"""Session 34: the best preset against the default of 1.15.0, and rebuilt on the default's schedule (``k=32,iters=6000,
qat=1200``: 1.15.0's default main fit, beta2 0.99 and peak lr 0.06, 6,000 steps, a quarter at quarter size and a quarter
at half size; its progressive rounding; then best's 1,200-step fine-tune), whole encodes at 384x256, -k 32 (width 33,
7 bits), kodim01, 05, 15 and 23, paired by image at equal rate along the 1.2.0 default's slope at k=32
(paired.slopes). The new lines are in best_preset_1.15.0_384x256.txt; the best preset's are session 30's
(best_preset_384x256.txt, 1.12.0: its code path is unchanged since, checked by a short best-preset fit giving the same
file at 1.12.0 and 1.15.0). Run from the repository root: python samples/perf-cpu/best_preset_1.15.0_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_per_image, load, mean, slopes  # noqa: E402

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
