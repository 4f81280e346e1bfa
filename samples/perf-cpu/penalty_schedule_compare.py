"""Session 59: the weight_l1 penalty's strength made to vary, on 1.33.0's default (the same fit as 1.32.0's), after
session 58 found 0.0006 for every image better than the default's 0.0003 on most images but kodim03, whose fit it cost
0.4 to 1 dB (weight_l1_1.32.0_compare.py). Two ways a strength could spare such an image:

- by the fit (``FitSchedule.l1_ref_db``, ablation keys ``l1_ref``, ``l1_floor``): each step's strength 0.0006 times the
  fit's current MSE over 28 dB's, kept within [0.5, 1] of 0.0006, so an image that fits well (kodim03: 30.9 dB) is
  pulled at about 0.0003 by the end and one that fits badly at 0.0006 (``penalty_by_mse_384x256.txt``);
- by the step (``FitSchedule.weight_l1_end``, ablation key ``l1_end``): 0.0003 at the main fit's first step rising
  linearly to 0.0006 at its last, the rounding stage at 0.0006, so the network takes its shape under the default's pull
  (``penalty_ramp_384x256.txt``).

Both plan for their weakest strength (0.0003: the default's plans). The 12 Kodak images at 384x256, 0.25 bpp, one
single-thread encode per image, two at a time, on an AVX2 CPU (every step float32):

    cd /tmp && PYTHONPATH=SNAPSHOT OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size 384x256 \\
        --config bpp=0.25,lr=0.08,out_gain=0.09375,CHANGES

against session 56's lines of the default (``lr_0.08_384x256.txt``, which 1.32.0 and 1.33.0 repeat exactly) and session
58's 0.0006 for every step (``weight_l1_0.0006_384x256.txt``), at equal rate along the 384x256 sweep's slope. Last,
kodim03 at seed 1, the default against 0.0006 (whether its loss is the seed's:
``weight_l1_0.0006_kodim03_seed1_384x256.txt``).
Then the one that was adopted, 1.34.0's best preset (``FitSchedule.weight_l1_tries``): the default encoded at 0.0003
and at 0.0006 on the default's plan, the file that decodes best kept. Both candidates' files exist already (sessions 56
and 58, the same plans: 1.32.0 planned 0.0006 as 0.0003), so the preset's result per image is the better of the two
lines; ``best_1.34.0_check_384x256.txt`` shows the preset itself repeating them (kodim01 keeps 0.0006's file, kodim03
the default's, to the last digit). Per rate: how often 0.0006 is kept, the mean change at the target and at equal rate;
at full size, 0.25 bpp, kodim01 and 03 (session 56's default lines, session 58's 0.0006 ones), and kodim05 and 07
(session 59's pairs, ``weight_l1_0.0006_fullsize_0.25_s59.txt``), and from session 60 kodim09, 11, 13 and 15
(``weight_l1_0.0006_fullsize_0.25_s60.txt``), and from session 61 kodim17, 19, 21 and 23
(``weight_l1_0.0006_fullsize_0.25_s61.txt``), at equal rate along 1.1.0's full-size slope. Then session 61's stage
pick: whether the half-size stage's best PSNR at each strength (``penalty_stage_pick.py``, the number ``--tries``
ranks seeds by; ``penalty_stage_pick_fullsize_0.25.txt``) ranks the two strengths as the finished files do.
Last, a third candidate screened in session 60: weight_l1 0.00015 (half the default's) at 384x256, 0.25 bpp, on the
default's plan (``weight_l1_0.00015_384x256.txt``; stopped after four images), and what the best of the three files
would add to the preset's best of two.
Encode times are this session's VM (about a third slower than session 56's) and not comparable.
Run from anywhere: python samples/perf-cpu/penalty_schedule_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import math  # noqa: E402
import statistics as st  # noqa: E402

from paired import (FOLDER, best_files, compare_and_summarize, compare_per_image, fullsize_1_1_0,  # noqa: E402
                    fullsize_penalty_pairs, load, se, sweep_slope)
from step_budget_compare import SMALL  # noqa: E402

BASE = ("lr_0.08_384x256.txt", "bpp=0.25,lr=0.08,out_gain=0.09375")
FIXED = ("weight_l1_0.0006_384x256.txt", "bpp=0.25,l1=0.0006")
ARMS = [("strength by the fit's MSE", "penalty_by_mse_384x256.txt",
         "bpp=0.25,lr=0.08,out_gain=0.09375,l1=0.0006,l1_ref=28,l1_floor=0.5"),
        ("strength 0.0003 -> 0.0006 by the step", "penalty_ramp_384x256.txt",
         "bpp=0.25,lr=0.08,out_gain=0.09375,l1=0.0003,l1_end=0.0006")]


def main() -> None:
    slope = sweep_slope(SMALL, 0.25)
    base, fixed = load(*BASE), load(*FIXED)
    for label, name, config in ARMS:
        new = load(name, config)
        if not new:
            continue  # an arm not run
        compare_and_summarize(f"384x256, 0.25 bpp: {label} against the default (0.0003)",
                              {i: base[i] for i in new}, new, slope)
        compare_and_summarize(f"384x256, 0.25 bpp: {label} against 0.0006 at every step",
                              {i: fixed[i] for i in new}, new, slope)
    seed1 = "weight_l1_0.0006_kodim03_seed1_384x256.txt"
    (default,) = load(seed1, "bpp=0.25,lr=0.08,out_gain=0.09375,seed=1").values()
    for label, config in (("0.0006 (width 21, 6 bits)", "bpp=0.25,l1=0.0006,seed=1,bits=6"),
                          ("the ramp 0.0003 -> 0.0006",
                           "bpp=0.25,lr=0.08,out_gain=0.09375,l1=0.0003,l1_end=0.0006,seed=1")):
        (row,) = load(seed1, config).values()
        print(f"kodim03, 384x256, 0.25 bpp, seed 1: {label} against the default: {default['psnr']:.2f} dB at "
              f"{default['bpp']:.4f} bpp -> {row['psnr']:.2f} at {row['bpp']:.4f}, equal rate "
              f"{row['psnr'] - default['psnr'] + slope * math.log2(default['bpp'] / row['bpp']):+.2f} dB; float "
              f"{default['float_psnr']:.2f} -> {row['float_psnr']:.2f}")

    for rate, infix in ((0.125, "0.125bpp_"), (0.25, ""), (0.5, "0.5bpp_")):
        default = load(f"lr_0.08_{infix}384x256.txt", f"bpp={rate:g},lr=0.08,out_gain=0.09375")
        strong = load(f"weight_l1_0.0006_{infix}384x256.txt", f"bpp={rate:g},l1=0.0006")
        best_of_two(f"384x256, {rate:g} bpp", default, strong, sweep_slope(SMALL, rate))
    full_default, full_strong = fullsize_penalty_pairs()
    compare_per_image("768x512, 0.25 bpp: 0.0006 against the default", full_default, full_strong,
                      fullsize_1_1_0(0.25)[1])
    best_of_two("768x512, 0.25 bpp", full_default, full_strong, fullsize_1_1_0(0.25)[1])
    stage_pick(full_default, full_strong)
    third_candidate(load("lr_0.08_384x256.txt", "bpp=0.25,lr=0.08,out_gain=0.09375"),
                    load("weight_l1_0.0006_384x256.txt", "bpp=0.25,l1=0.0006"),
                    load("weight_l1_0.00015_384x256.txt", "bpp=0.25,l1=0.00015"), sweep_slope(SMALL, 0.25))


def best_of_two(label: str, default: dict[str, dict], strong: dict[str, dict], slope: float) -> None:
    """The best preset's file per image (the better of the default's and 0.0006's) against the default's."""
    images = sorted(set(default) & set(strong))
    kept = best_files([default, strong], images)
    at_target = [kept[i]["psnr"] - default[i]["psnr"] for i in images]
    equal_rate = [d + slope * math.log2(default[i]["bpp"] / kept[i]["bpp"]) for d, i in zip(at_target, images)]
    print(f"{label}: the best preset (0.0003 or 0.0006, the better file) against the default: 0.0006 kept for "
          f"{sum(kept[i] is strong[i] for i in images)} of {len(images)}, PSNR {st.mean(at_target):+.3f} dB at the "
          f"target, {st.mean(equal_rate):+.3f} at equal rate (SE {se(equal_rate):.3f}; slope {slope:.2f}), bpp "
          f"{st.mean(default[i]['bpp'] for i in images):.4f} -> {st.mean(kept[i]['bpp'] for i in images):.4f}")
    print("  per image at the target: " + " ".join(f"{i[:-4]} {d:+.2f}" for i, d in zip(images, at_target)))


def stage_pick(default: dict[str, dict], strong: dict[str, dict]) -> None:
    """Whether the half-size stage's best PSNR at each strength (penalty_stage_pick.py) ranks them as the files do."""
    picks: dict[str, dict[float, float]] = {}
    for line in (FOLDER / "penalty_stage_pick_fullsize_0.25.txt").read_text().splitlines():
        if not line.startswith("#"):
            image, strength, _, _, pick, _ = line.split()
            picks.setdefault(image, {})[float(strength[3:])] = float(pick[5:])
    images = sorted(i for i in picks if i in default and i in strong and len(picks[i]) == 2)
    agree = 0
    print("768x512, 0.25 bpp: the half-size stage's best PSNR (0.0006 minus 0.0003) against the files' difference:")
    for image in images:
        stage = picks[image][0.0006] - picks[image][0.0003]
        final = strong[image]["psnr"] - default[image]["psnr"]
        agree += (stage > 0) == (final > 0)
        print(f"  {image[:-4]}: stage {stage:+.2f} dB, files {final:+.2f} dB")
    print(f"  the stage ranks the strengths as the files do for {agree} of {len(images)}; the stage's difference "
          f"{st.mean(picks[i][0.0006] - picks[i][0.0003] for i in images):+.2f} dB on average")


def third_candidate(default: dict[str, dict], strong: dict[str, dict], weak: dict[str, dict], slope: float) -> None:
    """0.00015 against the default, and the best of three files against the preset's best of two."""
    images = sorted(weak)
    compare_and_summarize("384x256, 0.25 bpp: weight_l1 0.00015 against the default (0.0003)",
                          {i: default[i] for i in images}, weak, slope)
    two = best_files([default, strong], images)
    three = best_files([two, weak], images)
    gains = [three[i]["psnr"] - two[i]["psnr"] for i in images]
    print(f"384x256, 0.25 bpp: the best of 0.00015, 0.0003 and 0.0006 against the best of the last two: 0.00015 kept "
          f"for {sum(three[i] is weak[i] for i in images)} of {len(images)}, PSNR {st.mean(gains):+.3f} dB at the "
          f"target; 0.00015's margin under the better of the two: "
          + " ".join(f"{i[:-4]} {weak[i]['psnr'] - two[i]['psnr']:+.2f}" for i in images))


if __name__ == "__main__":
    main()
