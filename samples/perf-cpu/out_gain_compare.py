"""Session 55: the output conv's learning rate (``FitSchedule.out_gain``, 0.125 in the default preset since 1.30.0).
On an AVX2 CPU (no native bfloat16: every step float32), the 12 Kodak images at 384x256, the default preset, one
single-thread encode per image, two or three at a time:

    cd /tmp && PYTHONPATH=SNAPSHOT OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size 384x256 \\
        --config bpp=RATE

where SNAPSHOT is 1.29.0 with the model's and the decoder's ``torch.sigmoid(`` made ``torch.sigmoid(GAIN * ``
(out_gain_screen.diff, for 0.25): the fit ``out_gain`` GAIN makes, step for step where GAIN is a power of two
(tests/test_out_gain.py), since Adam's steps do not depend on the gradient's scale. Run outside the repository,
whose own ddcodec would come first on the path. Baselines: 1.29.0's single-thread fits, the same computation as the
saved lines of 1.27.0 at 0.25 bpp (rows_norm_ab_old_384x256.txt; 1.29.0 repeated two of them to the last digit) and
1.28.0 at 0.5 (rows_norm_ab_old_0.5_384x256.txt), and out_gain_base_0.125bpp_384x256.txt at 0.125. Also the linear
output screened first (linear_output_screen.diff: ``0.5 + 0.25 * conv``, the sigmoid's tangent at 0, clamped to
[0, 1] in the decoder). Equal rate along the 384x256 sweep's slope.
Run from anywhere: python samples/perf-cpu/out_gain_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_and_summarize, load, sweep_slope  # noqa: E402
from step_budget_compare import SMALL  # noqa: E402

BASE = {0.125: "out_gain_base_0.125bpp_384x256.txt", 0.25: "rows_norm_ab_old_384x256.txt",
        0.5: "rows_norm_ab_old_0.5_384x256.txt"}
ARMS = [  # (label, rate, output)
    ("linear output, 0.5 + 0.25 conv, clamped", 0.25, "linear_output_384x256.txt"),
    ("out_gain 0.5", 0.25, "out_gain_0.5_384x256.txt"),
    ("out_gain 0.25", 0.25, "out_gain_0.25_384x256.txt"),
    ("out_gain 0.125", 0.25, "out_gain_0.125_384x256.txt"),
    ("out_gain 0.25", 0.5, "out_gain_0.25_0.5bpp_384x256.txt"),
    ("out_gain 0.125", 0.5, "out_gain_0.125_0.5bpp_384x256.txt"),
    ("out_gain 0.125", 0.125, "out_gain_0.125_0.125bpp_384x256.txt"),
]


def main() -> None:
    for label, rate, name in ARMS:
        config = f"bpp={rate:g}"
        new = load(name, config)
        base = {image: row for image, row in load(BASE[rate], config).items() if image in new}
        compare_and_summarize(f"384x256, {rate:g} bpp: {label} against 1.29.0", base, new, sweep_slope(SMALL, rate))


if __name__ == "__main__":
    main()
