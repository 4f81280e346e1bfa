"""Session 58: the weight_l1 penalty (0.0003 in every preset since 1.2.0, tuned in session 16 at peak lr 0.03 without
rounding noise) at twice that, 0.0006, on 1.32.0's default. On an AVX2 CPU (every step float32), the 12 Kodak images at
384x256, one single-thread encode per image, two at a time:

    cd /tmp && PYTHONPATH=SNAPSHOT OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size 384x256 \\
        --config bpp=R,l1=0.0006

where SNAPSHOT is 1.32.0's ddcodec (``git archive``; run outside the repository, whose own ddcodec would come first on
the path). The baseline is session 56's lr 0.08 arm, whose files 1.32.0's default repeats
(``default_1.32.0_timing_384x256.txt``: kodim01 and 03 again, the same lines in 196 s instead of 148 and 135: this
session's VM was about a third slower, so the encode times below are not comparable). Equal rate along the 384x256
sweep's slope; then kodim01 and 03 at full size, 0.25 bpp (against 1.31.0's default, the same fit as 1.32.0's: session
56's lines in lr_fullsize_0.25.txt), at equal rate along 1.1.0's full-size sweep's slope between 0.25 and 0.5 bpp
(paired.fullsize_1_1_0). Then, per rate, each side's files against --bpp's size model (its penalty allowance,
PENALTY_PACKING, calibrated at 0.0003 on 1.3.0's files): the mean error and the stronger penalty's packing against
0.0003's at the same plans (what ratecontrol.PACKING_BY_PENALTY takes for 0.0006 since 1.33.0); last, the plans the
default gets at each penalty (1.32.0's plans, and what adopting 0.0006 would encode).
Run from anywhere: python samples/perf-cpu/weight_l1_1.32.0_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import statistics as st  # noqa: E402
from dataclasses import replace  # noqa: E402

from paired import (compare_and_summarize, compare_per_image, fullsize_1_1_0, load, model_error,  # noqa: E402
                    sweep_slope)
import numpy as np  # noqa: E402

from ddcodec.codec import PRESETS, _plan, plan_network  # noqa: E402
from ddcodec.presets import WEIGHT_L1, FitSchedule  # noqa: E402
from step_budget_compare import SMALL  # noqa: E402

RATES = ((0.125, "0.125bpp_"), (0.25, ""), (0.5, "0.5bpp_"))  # (rate, its file names' infix)
DEFAULT_132 = {rate: (f"lr_0.08_{name}384x256.txt", f"bpp={rate:g},lr=0.08,out_gain=0.09375") for rate, name in RATES}
ARMS = [(f"weight_l1 {l1}", rate, f"weight_l1_{l1}_{name}384x256.txt", f"bpp={rate:g},l1={l1}")
        for l1 in ("0.0006", "0.0012") for rate, name in RATES]


def plans(schedule: FitSchedule) -> str:
    """A schedule's plans (width, bits, depth, kernels or not) at 384x256 and 768x512, 0.125 to 0.5 bpp."""
    out = []
    for width, height in ((384, 256), (768, 512)):
        for rate, _ in RATES:
            plan = _plan(np.zeros((height, width, 3), np.uint8), 32, rate, None, 0, None, schedule, "auto")
            out.append(f"{width}x{height} at {rate:g}: w{plan.net_width} {plan.bits} bits depth {plan.depth}"
                       + (" kernels" if plan.depthwise else ""))
    return "; ".join(out)


def main() -> None:
    for label, rate, name, config in ARMS:
        new = load(name, config)
        if not new:
            continue  # an arm not run
        base_name, base_config = DEFAULT_132[rate]
        base = {image: row for image, row in load(base_name, base_config).items() if image in new}
        compare_and_summarize(f"384x256, {rate:g} bpp: {label} against 1.32.0's default (0.0003)", base, new,
                              sweep_slope(SMALL, rate))
        width, bits, mask = plan_network(256, 384, 3, bpp=rate, schedule=PRESETS["default"])  # 1.32.0's
        assert all((r["width"], r["bits"]) == (width, bits) for rows in (base, new) for r in rows.values())
        errors = [[model_error(r, 384 * 256, weight_l1=WEIGHT_L1, depthwise=mask) for r in rows.values()]
                  for rows in (base, new)]
        print(f"  files against the size model: {st.mean(errors[0]):+.1%} (0.0003) and {st.mean(errors[1]):+.1%} "
              f"({label}), "
              f"{label}'s files {st.mean((1 + n) / (1 + b) for b, n in zip(*errors)) - 1:+.1%} at the same plans")
    new = load("weight_l1_0.0006_fullsize_0.25.txt", "bpp=0.25,l1=0.0006")
    compare_per_image("768x512, 0.25 bpp: weight_l1 0.0006 against 1.32.0's default (0.0003)",
                      load("lr_fullsize_0.25.txt", "bpp=0.25,lr=0.08,out_gain=0.09375"), new, fullsize_1_1_0(0.25)[1])
    for weight_l1 in (WEIGHT_L1, 6e-4):
        schedule = replace(PRESETS["default"], weight_l1=weight_l1)
        print(f"the default's plans at weight_l1 {weight_l1:g}: {plans(schedule)}")


if __name__ == "__main__":
    main()
