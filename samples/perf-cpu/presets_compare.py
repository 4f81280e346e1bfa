"""Session 57: the fast and best presets after 1.31.0's learning rates per group, and a peak above 0.08 for the default.
On an AVX2 CPU (no native bfloat16: every step float32), Kodak images at 384x256, one single-thread encode per image,
two or three at a time:

    cd /tmp && PYTHONPATH=SNAPSHOT OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size 384x256 \\
        --config CONFIG

where SNAPSHOT is 1.31.0's ddcodec (``git archive``; run outside the repository, whose own ddcodec would come first on
the path). The fast preset: its own 1.31.0 lines against out_gain 0.09375 (the output conv's main-fit rate 0.0075, as
the default's), the 12 images at 0.125 / 0.25 / 0.5 bpp; then that at peak lr 0.1 with the output conv's rate kept
(out_gain 0.075), the same images and rates, and with the default's rounding noise (qnoise=0.08) at 0.25 bpp. The best preset at 0.25 bpp on four images: 1.31.0's (peak lr
0.06, out_gain 1, no rounding noise, 7- and 8-bit rounding stage 25 steps at 1e-4) and the default's schedule made
longer (iters=6000,qat=1200: everything else the default's), each against the default (1.31.0's lines, the lr 0.08
arm of session 56, which 1.31.0's encoder repeats), and the best preset with the default's rounding noise
(qnoise=0.08) against both. The default at peak lr 0.1 with the output conv's rate kept
(out_gain 0.075), stopped after five images. Session 58, from a snapshot of 1.32.0: its fast preset with progressive
rounding in place of its 100-step fine-tune (prog=50 at 3e-4 at every precision, the default's; prog_low=15, about the
fine-tune's step count), 12 images at 0.25 bpp. Equal rate along the 384x256 sweep's slope.
Run from anywhere: python samples/perf-cpu/presets_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_and_summarize, load, sweep_slope  # noqa: E402
from step_budget_compare import SMALL  # noqa: E402

RATES = ((0.125, "0.125bpp_"), (0.25, ""), (0.5, "0.5bpp_"))  # (rate, its file names' infix)
DEFAULT_131 = ("the default (1.31.0)", "lr_0.08_384x256.txt", "bpp=0.25,lr=0.08,out_gain=0.09375")
BEST_131 = ("the best preset (1.31.0)", "best_1.31.0_384x256.txt", "preset=best,bpp=0.25")
FAST_131 = {rate: ("the fast preset (1.31.0)", f"fast_1.31.0_{name}384x256.txt", f"preset=fast,bpp={rate:g}")
            for rate, name in RATES}
FAST_132 = {rate: ("the fast preset (1.32.0)", f"fast_out_gain_0.09375_{name}384x256.txt",
                   f"preset=fast,bpp={rate:g},out_gain=0.09375") for rate, name in RATES}
LONGER = ("the default's schedule, 6,000 + 1,200 steps", 0.25, "best_default_longer_384x256.txt",
          "bpp=0.25,iters=6000,qat=1200")
BEST_NOISE = ("the best preset with the default's rounding noise", 0.25, "best_noise_384x256.txt",
              "preset=best,bpp=0.25,qnoise=0.08")
ARMS = [  # (label, rate, output, its config, baseline: (label, output, its config))
    *[("fast, out_gain 0.09375", rate, FAST_132[rate][1], FAST_132[rate][2], FAST_131[rate]) for rate, _ in RATES],
    *[("fast, peak lr 0.1, out_gain 0.075", rate, f"fast_lr_0.1_{name}384x256.txt",
       f"preset=fast,bpp={rate:g},lr=0.1,out_gain=0.075", FAST_132[rate]) for rate, name in RATES],
    ("fast with the default's rounding noise", 0.25, "fast_noise_384x256.txt",
     "preset=fast,bpp=0.25,out_gain=0.09375,qnoise=0.08", FAST_132[0.25]),
    ("fast, progressive rounding 50 steps per layer at 3e-4, no fine-tune", 0.25, "fast_prog50_384x256.txt",
     "preset=fast,bpp=0.25,prog=50,prog_lr=0.0003,prog_low=50,prog_low_lr=0.0003,qat=0", FAST_132[0.25]),
    ("fast, progressive rounding 15 steps per layer at 3e-4, no fine-tune", 0.25, "fast_prog15_384x256.txt",
     "preset=fast,bpp=0.25,prog_low=15,prog_low_lr=0.0003,qat=0", FAST_132[0.25]),
    ("the best preset (1.31.0)", 0.25, BEST_131[1], BEST_131[2], DEFAULT_131),
    (*LONGER, DEFAULT_131),
    (*LONGER, BEST_131),
    (*BEST_NOISE, DEFAULT_131),
    (*BEST_NOISE, BEST_131),
    ("peak lr 0.1, out_gain 0.075", 0.25, "lr_0.1_384x256.txt", "bpp=0.25,lr=0.1,out_gain=0.075", DEFAULT_131),
]


def main() -> None:
    for label, rate, name, config, (base_label, base_name, base_config) in ARMS:
        new = load(name, config)
        base = {image: row for image, row in load(base_name, base_config).items() if image in new}
        compare_and_summarize(f"384x256, {rate:g} bpp: {label} against {base_label}", base, new,
                              sweep_slope(SMALL, rate))


if __name__ == "__main__":
    main()
