"""Session 33: the default preset's main fit at one-cycle peak lr 0.06 (and 0.08, screened on six images at 0.25
bpp) against 1.14.0's 0.045 at 384x256, the 12 Kodak images, 0.125 / 0.25 / 0.5 bpp. The new runs are in
adam_lr_0.06_384x256.txt; the baseline is 0.045's lines of session 32 (adam_lr_beta1_384x256.txt: the same plans,
and single-thread fits repeat exactly). Equal rate along the 1.13.0 RD sweep's own slope at each target. Then full
size at 0.25 bpp, two images, lr 0.03 / 0.045 / 0.06 (adam_lr_fullsize_0.25.txt). Session 34: Adam beta1 0.8 at
lr 0.06 (1.15.0's default otherwise), 0.25 bpp, the 12 images, against beta1 0.9 (the lr 0.06 lines of both files).
Run from the repository root: python samples/perf-cpu/adam_lr_0.06_compare.py"""
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_per_image, equal_rate, load, mean, se, sweep_slope  # noqa: E402

NEW, BASE, SWEEP = "adam_lr_0.06_384x256.txt", "adam_lr_beta1_384x256.txt", "rd-kodak-384x256-1.13.0"
for bpp in (0.125, 0.25, 0.5):
    base = load(BASE, f"bpp={bpp},lr=0.045")
    for lr in ("0.06", "0.08"):
        # session 32 screened lr 0.06 at 0.25 bpp on six of the images (its file); this session ran the others
        new = {**load(BASE, f"bpp={bpp},lr={lr}"), **load(NEW, f"bpp={bpp},lr={lr}")}
        images = sorted(set(base) & set(new))
        if not images:
            continue
        compare_per_image(f"{bpp} bpp, lr {lr} against 0.045", base, new, sweep_slope(SWEEP, bpp))
        print("  means, float PSNR and rounding cost (float minus decoded): " + "; ".join(
            f"{mean(r, 'float_psnr', images):.2f} and {mean(r, 'float_psnr', images) - mean(r, 'psnr', images):.2f} dB"
            for r in (base, new)))
        before, after = mean(base, "seconds", images), mean(new, "seconds", images)
        print(f"  encode seconds (single thread, two processes): {before:.0f} -> {after:.0f} ({after / before - 1:+.0%})")
# the two peak learning rates above 0.045 on the images both ran
a = load(BASE, "bpp=0.25,lr=0.06")
b = load(NEW, "bpp=0.25,lr=0.08")
both = sorted(set(a) & set(b))
d = [b[i]["psnr"] - a[i]["psnr"] for i in both]
print(f"lr 0.08 against 0.06 at 0.25 bpp, {len(both)} images: {st.mean(d):+.3f} dB (SE {se(d):.3f}; "
      f"bpp {st.mean(b[i]['bpp'] for i in both) / st.mean(a[i]['bpp'] for i in both) - 1:+.1%}); per image "
      + " ".join(f"{i[:-4]} {x:+.2f}" for i, x in zip(both, d)))
# full size, 0.25 bpp (width 45), two images, each lr against the next lower one (adam_lr_fullsize_0.25.txt)
full = {lr: load("adam_lr_fullsize_0.25.txt", f"bpp=0.25,lr={lr}") for lr in ("0.03", "0.045", "0.06")}
slope = sweep_slope(SWEEP, 0.25)
for low, high in (("0.03", "0.045"), ("0.045", "0.06"), ("0.03", "0.06")):
    images = sorted(full[high])
    print(f"full size, 0.25 bpp, lr {high} against {low}: " + ", ".join(
        f"{i[:-4]} {full[low][i]['psnr']:.2f} dB at {full[low][i]['bpp']:.4f} -> {full[high][i]['psnr']:.2f} at "
        f"{full[high][i]['bpp']:.4f} bpp ({x:+.3f} at equal rate)"
        for i, x in zip(images, equal_rate(full[low], full[high], slope, images))))
# session 34: beta1 0.8 against 0.9, both at lr 0.06 (1.15.0's default), 0.25 bpp
base = {**load(BASE, "bpp=0.25,lr=0.06"), **load(NEW, "bpp=0.25,lr=0.06")}
compare_per_image("0.25 bpp, lr 0.06, beta1 0.8 against 0.9", base, load(NEW, "bpp=0.25,beta1=0.8"), sweep_slope(SWEEP, 0.25))
