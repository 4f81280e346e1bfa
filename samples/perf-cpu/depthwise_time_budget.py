"""Session 21: at 384x256 and 0.25 bpp, is version 1.4.0's default (kernels, 2,200 + 300 steps) on the best front for
its time? Against the same default without kernels (``depthwise=off``: width 23 at 7 bits instead of 18 at 8 bits)
and with kernels but 1,400 + 200 steps (``iters=1400,qat=200``), paired by image with the 1.4.0 RD sweep's files
(``samples/rd-kodak-384x256-1.4.0``, the same encoder and settings, two single-thread jobs at a time as here).

The runs: OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png ... --size 384x256
    --config bpp=0.25,depthwise=off --config bpp=0.25,iters=1400,qat=200   (two processes of six images each)
output in depthwise_time_budget_384x256.txt. Run from the repository root:
python samples/perf-cpu/depthwise_time_budget.py"""
import math
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare, equal_rate, load, local_slope, mean, sweep  # noqa: E402

default = sweep("rd-kodak-384x256-1.4.0", "bpp=0.25")
every = sorted(default)
# the default's local slope at 0.25 bpp: the mean of its slopes to 0.125 and to 0.5 bpp (dB per doubling of rate)
sides = [local_slope(sweep("rd-kodak-384x256-1.4.0", "bpp=0.125"), default, every),
         local_slope(default, sweep("rd-kodak-384x256-1.4.0", "bpp=0.5"), every)]
slope = st.mean(sides)
print(f"384x256, 0.25 bpp; the 1.4.0 default (width 18 at 8 bits with kernels) {mean(default, 'psnr', every):.2f} dB at "
      f"{mean(default, 'bpp', every):.4f} bpp, {mean(default, 'seconds', every):.0f} s per encode; slope {sides[0]:.2f} / "
      f"{sides[1]:.2f} dB per doubling either side, {slope:.2f} used")
for config, label in (("bpp=0.25,depthwise=off", "no kernels"), ("bpp=0.25,iters=1400,qat=200", "kernels, 1,400 + 200 steps")):
    rows = load("depthwise_time_budget_384x256.txt", config)
    if rows:
        images = sorted(rows)
        compare(f"{label} ({config}) against the default", {i: default[i] for i in images}, rows, slope)
        print(f"  {len(images)} images; encode seconds {mean(rows, 'seconds', images):.0f} against the default's "
              f"{mean(default, 'seconds', images):.0f}")

# Session 22: the shorter schedule at 0.125 and 0.5 bpp (same command with --config bpp=0.125,iters=1400,qat=200
# --config bpp=0.5,iters=1400,qat=200, two processes of six images beside two full-size encodes: seconds not
# comparable), along the default's slope to 0.25 bpp, the nearest rate point the sweep has on the other side.
for rate, (lower, upper) in (("0.125", ("0.125", "0.25")), ("0.5", ("0.25", "0.5"))):
    rows = load("depthwise_time_budget_384x256.txt", f"bpp={rate},iters=1400,qat=200")
    if rows:
        images = sorted(rows)
        base = sweep("rd-kodak-384x256-1.4.0", f"bpp={rate}")
        side = local_slope(sweep("rd-kodak-384x256-1.4.0", f"bpp={lower}"),
                           sweep("rd-kodak-384x256-1.4.0", f"bpp={upper}"), images)
        compare(f"kernels, 1,400 + 200 steps at {rate} bpp against the default", {i: base[i] for i in images}, rows,
                side)

# Full size (768x512), session 21: the shorter schedule on session 20's four images (the same command with
# --size full, two processes of two images; output in depthwise_time_budget_768x512.txt), against 1.4.0's default
# (fullsize_0.25_1.4.0.txt) and 1.3.1's, which has no kernels (fullsize_0.25_1.3.1.txt), at equal rate along
# version 1.1.0's local slope between 0.25 and 0.5 bpp, as fullsize_depthwise_compare.py reads them.
short = load("depthwise_time_budget_768x512.txt", "bpp=0.25,iters=1400,qat=200")
if short:
    images = sorted(short)
    old = sweep("rd-kodak-768x512", "bpp=0.25")
    full_slope = local_slope(old, sweep("rd-kodak-768x512", "bpp=0.5"), sorted(old))
    full, plain = load("fullsize_0.25_1.4.0.txt", "bpp=0.25"), load("fullsize_0.25_1.3.1.txt", "bpp=0.25")
    print(f"\n768x512, 0.25 bpp, {len(images)} images ({', '.join(i[:-4] for i in images)}): kernels, 1,400 + 200 steps")
    for label, base in (("against 1.4.0's default (kernels, 2,200 + 300)", full),
                        ("against 1.3.1's default (no kernels, 2,200 + 300)", plain)):
        both = [i for i in images if i in base]  # 1.3.1 was run on session 20's four images only
        compare(f"  {label}", {i: base[i] for i in both}, {i: short[i] for i in both}, full_slope)
        equal = equal_rate(base, short, full_slope, both)
        print("    per image at equal rate: " + " ".join(f"{i[:-4]} {x:+.2f}" for i, x in zip(both, equal)))
    if len(images) == 12:  # issue 4's figure, read at 0.25 bpp as fullsize_depthwise_compare.py reads 1.4.0's
        for label, rows in (("1.4.0's default", full), ("1,400 + 200 steps", short)):
            print(f"  {label}: {mean(rows, 'psnr', images):.2f} dB at {mean(rows, 'bpp', images):.4f} bpp, read at "
                  f"0.25 bpp {mean(rows, 'psnr', images) + full_slope * math.log2(0.25 / mean(rows, 'bpp', images)):.2f}")
    # seconds: session 21's four ran two at a time on a quiet VM; session 22's eight beside other jobs
    quiet = ["kodim01.png", "kodim03.png", "kodim13.png", "kodim15.png"]
    print(f"  encode seconds, session 21's four (quiet): {mean(short, 'seconds', quiet):.0f} against the default's "
          f"{mean(full, 'seconds', quiet):.0f}")
