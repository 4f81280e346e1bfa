"""Session 56: learning rates per group of weights after 1.30.0's ``out_gain`` 0.125. On an AVX2 CPU (no native
bfloat16: every step float32), the 12 Kodak images at 384x256, the default preset, one single-thread encode per image,
two at a time:

    cd /tmp && [DDC_SHIFT_GAIN=G] [DDC_DW_GAIN=G] PYTHONPATH=SNAPSHOT OMP_NUM_THREADS=1 \\
        python -m ddcodec.ablation KODAK/kodimNN.png --size 384x256 --config bpp=RATE[,out_gain=G][,lr=L]

where SNAPSHOT is 1.30.0 with group_gains_screen.diff: the normalisations' shifts (DDC_SHIFT_GAIN) or the depthwise
kernels (DDC_DW_GAIN) in Adam parameter groups of their own, their learning rate that many times the others' and
their epsilon divided by it, in every phase (without either variable it fits as 1.30.0 does: a 48x40 test encode
came out byte-identical). Run outside the repository, whose own ddcodec would come first on the path. Baselines:
1.30.0's single-thread fits, the saved lines of session 55's screen (out_gain_0.125_*384x256.txt), which 1.30.0's
encoder repeats to the last digit; for the last arm, 1.31.0's own (the lr 0.08 arm's lines, which 1.31.0's
encoder repeats). Equal rate along the 384x256 sweep's slope.
Run from anywhere: python samples/perf-cpu/lr_groups_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_and_summarize, load, sweep_slope  # noqa: E402
from step_budget_compare import SMALL  # noqa: E402

BASE_130 = {0.125: ("1.30.0", "out_gain_0.125_0.125bpp_384x256.txt", "bpp=0.125"),
            0.25: ("1.30.0", "out_gain_0.125_384x256.txt", "bpp=0.25"),
            0.5: ("1.30.0", "out_gain_0.125_0.5bpp_384x256.txt", "bpp=0.5")}
# 1.31.0's default: the lr 0.08 arm's lines
BASE_131 = ("1.31.0", "lr_0.08_384x256.txt", "bpp=0.25,lr=0.08,out_gain=0.09375")
ARMS = [  # (label, rate, output, its config, baseline: (version, output, its config))
    ("out_gain 0.0625", 0.25, "out_gain_0.0625_384x256.txt", "bpp=0.25,out_gain=0.0625", BASE_130[0.25]),
    ("out_gain 0.0625", 0.5, "out_gain_0.0625_0.5bpp_384x256.txt", "bpp=0.5,out_gain=0.0625", BASE_130[0.5]),
    ("lr 0.08, out_gain 0.09375", 0.125, "lr_0.08_0.125bpp_384x256.txt", "bpp=0.125,lr=0.08,out_gain=0.09375",
     BASE_130[0.125]),
    ("lr 0.08, out_gain 0.09375", 0.25, "lr_0.08_384x256.txt", "bpp=0.25,lr=0.08,out_gain=0.09375", BASE_130[0.25]),
    ("lr 0.08, out_gain 0.09375", 0.5, "lr_0.08_0.5bpp_384x256.txt", "bpp=0.5,lr=0.08,out_gain=0.09375",
     BASE_130[0.5]),
    ("shifts at 4x the rate", 0.25, "shift_gain_4_384x256.txt", "bpp=0.25", BASE_130[0.25]),
    ("depthwise kernels at 4x the rate", 0.25, "dw_gain_4_384x256.txt", "bpp=0.25,lr=0.08,out_gain=0.09375", BASE_131),
]


def main() -> None:
    for label, rate, name, config, (version, base_name, base_config) in ARMS:
        new = load(name, config)
        base = {image: row for image, row in load(base_name, base_config).items() if image in new}
        compare_and_summarize(f"384x256, {rate:g} bpp: {label} against {version}", base, new, sweep_slope(SMALL, rate))


if __name__ == "__main__":
    main()
