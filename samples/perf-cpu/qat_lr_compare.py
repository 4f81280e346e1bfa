"""Session 23: the quantisation-aware fine-tune at a tenth of its learning rate (qat_lr 1e-4 instead of 1e-3), at
384x256 on the 12 Kodak images at 0.125, 0.25 and 0.5 bpp, paired by image with the 1.4.0 RD sweep's files
(``samples/rd-kodak-384x256-1.4.0``: the same encoder, whose main fit is the same to the bit, so the two differ in
the fine-tune alone; quant_loss_split.py's "default fine-tune" reproduced three of those files byte for byte).

First, quant_loss_split.py's variants of the fine-tune on three images at 0.5 bpp (quant_loss_split_384x256.txt),
each against 1.5.0's fine-tune from the same main fit. Then the encoder's runs:
    OMP_NUM_THREADS=1 python -m ddcodec.ablation ../shared/data/kodak/*.png --size 384x256
        --config bpp=RATE,qat_lr=0.0001            (one process per rate)
output in qat_lr_384x256.txt, and the fast preset's schedule at 0.25 bpp with both rates (qat_lr_fast_384x256.txt).
Run from the repository root: python samples/perf-cpu/qat_lr_compare.py (output in qat_lr_compare.txt)"""
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare, equal_rate, load, local_slope, mean, split_runs, sweep  # noqa: E402

SWEEP = "rd-kodak-384x256-1.4.0"
RATES = ("0.125", "0.25", "0.5")


def slope_at(rate: str, images: list[str]) -> float:
    """The sweep's local slope at ``rate`` (dB per doubling): to the neighbouring rate point, or the mean of both."""
    return st.mean(local_slope(sweep(SWEEP, f"bpp={lo}"), sweep(SWEEP, f"bpp={hi}"), images)
                   for lo, hi in zip(RATES, RATES[1:]) if rate in (lo, hi))


for (size, rate), runs in split_runs("quant_loss_split_384x256.txt").items():
    labels = list(dict.fromkeys(label for variants in runs.values() for label in variants))
    for label in labels[1:]:
        images = [i for i in runs if label in runs[i]]
        gain = [runs[i][label]["psnr"] - runs[i]["default fine-tune"]["psnr"] for i in images]
        rate_change = [runs[i][label]["bpp"] / runs[i]["default fine-tune"]["bpp"] - 1 for i in images]
        print(f"{size} {rate} bpp, {label} against 1.5.0's fine-tune: " + ", ".join(
            f"{i[:-4]} {g:+.3f} dB at {r:+.1%} rate" for i, g, r in zip(images, gain, rate_change)))
print()
for rate in RATES:
    rows = load("qat_lr_384x256.txt", f"bpp={rate},qat_lr=0.0001")
    if not rows:
        continue
    images = sorted(rows)
    base = sweep(SWEEP, f"bpp={rate}")
    slope = slope_at(rate, images)
    compare(f"{rate} bpp, qat_lr 1e-4 against 1.4.0's default (1e-3)", {i: base[i] for i in images}, rows, slope)
    equal = equal_rate(base, rows, slope, images)
    print("  per image at equal rate: " + " ".join(f"{i[:-4]} {x:+.2f}" for i, x in zip(images, equal)))
    print(f"  quantising cost (float - decoded, new files): {st.mean(r['float_psnr'] - r['psnr'] for r in rows.values()):.2f} dB; "
          f"encode seconds {mean(rows, 'seconds', images):.0f} against the sweep's {mean(base, 'seconds', images):.0f}")

# The fast preset's schedule (700 + 100 steps) at 0.25 bpp, both learning rates run here
old_fast = load("qat_lr_fast_384x256.txt", "bpp=0.25,iters=700,qat=100,qat_lr=0.001")
new_fast = load("qat_lr_fast_384x256.txt", "bpp=0.25,iters=700,qat=100")
if old_fast and new_fast:
    images = sorted(set(old_fast) & set(new_fast))
    compare("fast preset's schedule, 0.25 bpp, qat_lr 1e-4 against 1e-3", {i: old_fast[i] for i in images},
            {i: new_fast[i] for i in images}, slope_at("0.25", images))
