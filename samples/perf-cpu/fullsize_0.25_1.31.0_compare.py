"""Sessions 56 to 61: the default preset as it fits since 1.31.0 (1.32.0 to 1.34.1 changed the fast and best presets and
the size model's allowance for the penalty, not the default's plans or fit: width 45, 7 bits here) at full size,
0.25 bpp, on all 12 Kodak images, and the best preset (1.34.1: the better of the default's file and weight_l1 0.0006's
on the same plan, among those within the target's 3%), against 1.18.0's full-size sweep at that target (the README's
table): image by image at equal rate along 1.18.0's mean-curve slope at 0.25 bpp, and each version's mean read at
0.25 bpp (every file moved to 0.25 bpp along that slope, then averaged).

Where the lines come from: single-thread encodes, two at a time, on AVX2 VMs (every step float32),
    cd /tmp && PYTHONPATH=SNAPSHOT OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size full \\
        --config CONFIG
with CONFIG bpp=0.25,lr=0.08,out_gain=0.09375 (the default) or bpp=0.25,l1=0.0006: kodim01 and 03 in
lr_fullsize_0.25.txt (session 56) and weight_l1_0.0006_fullsize_0.25.txt (session 58), kodim05 and 07 in
weight_l1_0.0006_fullsize_0.25_s59.txt, kodim09 to 15 in ..._s60.txt, kodim17 to 23 in ..._s61.txt; last, kodim15
with 1.29.0's peak lr and output-conv rate (kodim15_1.29_steps_fullsize_0.25.txt), with 1.18.0's code (a snapshot of
commit 7a37a3b) and the default at seed 1 (kodim15_1.18.0_seed1_fullsize_0.25.txt). 1.18.0's sweep
(samples/rd-kodak-768x512-1.18.0-cpu, the RD tool) ran on an AVX-512/AMX VM, its main fits in bfloat16 (level with
float32 at equal rate where measured: RESULTS.md, "bfloat16 fitting").
Run from anywhere: python samples/perf-cpu/fullsize_0.25_1.31.0_compare.py"""
import math
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import (equal_rate, fullsize_1_18_0_at_half, fullsize_penalty_pairs, load,  # noqa: E402
                    local_slope, mean, se, sweep)

from ddcodec.presets import RATE_TOLERANCE  # noqa: E402

TARGET = 0.25
SWEPT = "rd-kodak-768x512-1.18.0-cpu"


def best_preset(default: dict[str, dict], strong: dict[str, dict]) -> dict[str, dict]:
    """Per image the file 1.34.1's best preset keeps: the higher PSNR among the candidates within the size limit."""
    kept = {}
    for image in sorted(set(default) & set(strong)):
        candidates = (default[image], strong[image])
        within = [r for r in candidates if r["bpp"] <= TARGET * (1 + RATE_TOLERANCE)]
        kept[image] = max(within or candidates, key=lambda r: r["psnr"])
    return kept


def at_target(rows: dict[str, dict], slope: float, images: list[str]) -> float:
    """The mean PSNR with every file moved to the target along ``slope`` (dB per doubling of rate)."""
    return st.mean(rows[i]["psnr"] + slope * math.log2(TARGET / rows[i]["bpp"]) for i in images)


def main() -> None:
    default, strong = fullsize_penalty_pairs()
    best = best_preset(default, strong)
    old = sweep(SWEPT, "bpp=0.25")
    every = sorted(old)
    slope = (local_slope(sweep(SWEPT, "bpp=0.125"), old, every)
             + local_slope(old, fullsize_1_18_0_at_half(), every)) / 2
    print(f"768x512, 0.25 bpp; 1.18.0's mean-curve slope there {slope:.3f} dB per doubling of rate")
    print(f"  1.18.0's default (RD sweep): {len(every)} images, {mean(old, 'bpp', every):.4f} bpp, "
          f"{mean(old, 'psnr', every):.2f} dB, at 0.25 bpp {at_target(old, slope, every):.2f} dB")
    for label, rows in (("the default since 1.31.0", default), ("1.34.1's best preset", best)):
        images = sorted(set(rows) & set(old))
        diffs = equal_rate(old, rows, slope, images)
        off = [rows[i]["bpp"] / TARGET - 1 for i in images]
        print(f"  {label}: {len(images)} images, {mean(rows, 'bpp', images):.4f} bpp, "
              f"{mean(rows, 'psnr', images):.2f} dB, at 0.25 bpp {at_target(rows, slope, images):.2f} dB (1.18.0 on "
              f"these images {at_target(old, slope, images):.2f}); against 1.18.0 at equal rate "
              f"{st.mean(diffs):+.2f} dB (SE {se(diffs):.2f}; {sum(d > 0 for d in diffs)} of {len(images)} better); "
              f"files {min(off):+.1%} to {max(off):+.1%} of the target")
        print("    per image at equal rate: " + " ".join(f"{i[:-4]} {d:+.2f}" for i, d in zip(images, diffs)))
    print(f"  the best preset kept 0.0006's file for {sum(best[i] is strong[i] for i in best)} of {len(best)}")
    image = "kodim15.png"
    (row,) = load("kodim15_1.29_steps_fullsize_0.25.txt", "bpp=0.25,lr=0.06,out_gain=1").values()
    print(f"  {image[:-4]}: 1.18.0 {old[image]['psnr']:.2f} dB at {old[image]['bpp']:.4f} bpp; the default since "
          f"1.31.0 {default[image]['psnr']:.2f} at {default[image]['bpp']:.4f}; with 1.29.0's peak lr and output-conv "
          f"rate (lr 0.06, out_gain 1) {row['psnr']:.2f} at {row['bpp']:.4f}")
    rerun = "kodim15_1.18.0_seed1_fullsize_0.25.txt"
    (again,) = load(rerun, "bpp=0.25").values()
    (seed1,) = load(rerun, "bpp=0.25,lr=0.08,out_gain=0.09375,seed=1").values()
    print(f"  {image[:-4]}: 1.18.0's code again on this AVX2 VM (float32) {again['psnr']:.2f} at {again['bpp']:.4f}; "
          f"the default since 1.31.0 at seed 1 {seed1['psnr']:.2f} at {seed1['bpp']:.4f}")


if __name__ == "__main__":
    main()
