"""Session 49: where a default encode's time is best spent, read against session 48's seed screen.

1. 384x256, 0.25 bpp, the 12 Kodak images: a second seed picked after the reduced-size stages (``--tries 2``, about
   20 of a 104 s encode more) against the same extra time spent on steps (``iters=2700``: the main fit, 90 of the
   104 s, 23% longer), for seeds 0 and 1. The plain encodes and the picks are session 48's
   (seed_prefix_384x256.jsonl); the longer fits are this session's::

       OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size 384x256 --config bpp=0.25,iters=2700 \\
           --config bpp=0.25,iters=2700,seed=1     (output: step_budget_384x256.txt)

2. 768x512, 0.25 bpp (width 45, 7 bits): two shorter schedules, about a sixth less time by their steps, against the default
   (seed 0: session 48's seed_prefix_768x512.jsonl for kodim01, 05, 09, 13, 17 and 21, ``--config bpp=0.25`` here for
   the others): 550 of the 1,100 full-size steps moved to the half-size stage
   (``coarse=0.5``: 550 quarter-, 1,100 half-, 550 full-size steps) and the whole main fit shortened (``iters=1700``)::

       OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size full --config bpp=0.25,coarse=0.5 \\
           --config bpp=0.25,iters=1700     (output: step_budget_768x512.txt)

3. 768x512, 0.5 bpp (width 66, 7 bits): the default's files with seeds 0 and 1 (``--config bpp=0.5 --config
   bpp=0.5,seed=1``, same output), how far they lie apart.

Single-thread fits repeat exactly on a CPU of the same kind (2 cores of an AMD EPYC Zen 4 both sessions), so the
saved encodes are the baselines'. Equal rate along the 1.18.0 sweeps' slopes, as bits_choice_compare.py.
Run from the repository root: python samples/perf-cpu/step_budget_compare.py"""
import json
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import (FOLDER, compare_per_image, equal_rate, fullsize_1_18_0_at_half, load, local_slope, mean, se,  # noqa: E402
                    sweep, sweep_slope)
from seed_prefix_screen import stage_psnr  # noqa: E402

SMALL, FULL = "rd-kodak-384x256-1.18.0", "rd-kodak-768x512-1.18.0-cpu"


def seed_rows(name: str) -> dict[int, dict[str, dict]]:
    """seed -> image -> session 48's row (bpp, psnr, float_psnr, seconds and the stage windows)."""
    rows: dict[int, dict[str, dict]] = {}
    for line in (FOLDER / name).read_text().splitlines():
        r = json.loads(line)
        rows.setdefault(r["seed"], {})[r["image"]] = r
    return rows


def averaged(a: dict[str, dict], b: dict[str, dict]) -> dict[str, dict]:
    """Per image, the mean PSNR and bpp of two encodes (one arbitrary seed of two, on average)."""
    return {i: {k: (a[i][k] + b[i][k]) / 2 for k in ("psnr", "float_psnr", "bpp", "seconds")} for i in set(a) & set(b)}


def small() -> None:
    seeds = seed_rows("seed_prefix_384x256.jsonl")
    plain0, plain1 = seeds[0], seeds[1]
    picked = {i: max((plain0[i], plain1[i]), key=lambda r: stage_psnr(r, r["half"])) for i in plain0}
    long0 = load("step_budget_384x256.txt", "bpp=0.25,iters=2700")
    long1 = load("step_budget_384x256.txt", "bpp=0.25,iters=2700,seed=1")
    slope = sweep_slope(SMALL, 0.25)
    print(f"384x256, 0.25 bpp, equal rate along {slope:.2f} dB per doubling")
    plain = averaged(plain0, plain1)
    longer = averaged(long0, long1)
    compare_per_image("  iters=2700 against the default, seed 0", plain0, long0, slope)
    compare_per_image("  iters=2700 against the default, seed 1", plain1, long1, slope)
    compare_per_image("  iters=2700 against the default, mean of seeds 0 and 1", plain, longer, slope)
    compare_per_image("  --tries 2 (seeds 0 and 1, picked) against the default, mean of seeds 0 and 1", plain, picked,
                      slope)
    compare_per_image("  --tries 2 against iters=2700, mean of seeds 0 and 1", longer, picked, slope)
    control = load("step_budget_384x256.txt", "bpp=0.25")
    for image, row in control.items():
        print(f"  control: {image} bpp=0.25 here {row['psnr']:.4f} dB at {row['bpp']:.6f} bpp, session 48's seed 0 "
              f"{plain0[image]['psnr']:.4f} at {plain0[image]['bpp']:.6f}")


def full() -> None:
    # the default, seed 0: session 48's encodes, and this session's of the images that screen had not fitted
    screened = seed_rows("seed_prefix_768x512.jsonl")
    base = {**screened[0], **load("step_budget_768x512.txt", "bpp=0.25")}
    quiet_rows = list(screened[1].values())  # two at a time on a quiet VM (seed 0's beside more work)
    quiet = [r["seconds"] for r in quiet_rows]
    full_steps = st.mean(r["stage_seconds"][2] - r["stage_seconds"][1] for r in quiet_rows)
    print(f"768x512, 0.25 bpp: the default's full-size main-fit steps took {full_steps:.0f} of {st.mean(quiet):.0f} s "
          f"({full_steps / st.mean(quiet):.0%}) of session 48's quiet single-thread encodes (seed 1)")
    slope = local_slope(sweep(FULL, "bpp=0.125"), sweep(FULL, "bpp=0.25"), sorted(sweep(FULL, "bpp=0.25")))
    print(f"768x512, 0.25 bpp, equal rate along {slope:.2f} dB per doubling (seed 0)")
    for config, label in (("bpp=0.25,coarse=0.5", "550 full-size steps moved to half size"),
                          ("bpp=0.25,iters=1700", "main fit 1,700 steps")):
        rows = load("step_budget_768x512.txt", config)
        images = sorted(set(rows) & set(base))
        compare_per_image(f"  {label} ({config}) against the default", base, rows, slope)
        print(f"    rounding cost {mean(rows, 'float_psnr', images) - mean(rows, 'psnr', images):.3f} dB against "
              f"{mean(base, 'float_psnr', images) - mean(base, 'psnr', images):.3f}; float PSNR "
              f"{st.mean(rows[i]['float_psnr'] - base[i]['float_psnr'] for i in images):+.3f} (SE "
              f"{se([rows[i]['float_psnr'] - base[i]['float_psnr'] for i in images]):.3f})")
        paired = sorted(set(rows) & set(load("step_budget_768x512.txt", "bpp=0.25")))  # fitted side by side here
        for image in paired:
            print(f"    time, {image} side by side: {base[image]['seconds']:.0f} -> {rows[image]['seconds']:.0f} s "
                  f"({rows[image]['seconds'] / base[image]['seconds'] - 1:+.0%})")
        print("    times of the others: " + " ".join(f"{i[:-4]} {rows[i]['seconds']:.0f} s" for i in images)
              + f"; the default's quiet-hour single-thread encodes {min(quiet):.0f} to {max(quiet):.0f} s (session "
              f"48's seed 1)")


def seeds_at_half() -> None:
    """How far two seeds' default files lie apart at full size and 0.5 bpp (width 66, 7 bits), the rate where session
    42 saw single files move by up to 1.4 dB with the learning rate: what ``--tries`` could buy there."""
    zero, one = load("step_budget_768x512.txt", "bpp=0.5"), load("step_budget_768x512.txt", "bpp=0.5,seed=1")
    images = sorted(set(zero) & set(one))
    if not images:
        return
    half = fullsize_1_18_0_at_half()  # 1.18.0's full-size 0.5 bpp encodes (the CPU sweep stops at 0.25 bpp)
    slope = local_slope(sweep(FULL, "bpp=0.25"), half, sorted(half))
    diffs = equal_rate(zero, one, slope, images)
    print(f"768x512, 0.5 bpp, seed 1 against seed 0 at equal rate ({slope:.2f} dB per doubling): "
          + " ".join(f"{i[:-4]} {zero[i]['psnr']:.2f} / {one[i]['psnr']:.2f} dB ({d:+.2f})" for i, d in zip(images, diffs))
          + f"; mean |difference| {st.mean(abs(d) for d in diffs):.2f} dB; encode "
          + " ".join(f"{i[:-4]} {zero[i]['seconds']:.0f} / {one[i]['seconds']:.0f} s" for i in images))


if __name__ == "__main__":
    small()
    full()
    seeds_at_half()
