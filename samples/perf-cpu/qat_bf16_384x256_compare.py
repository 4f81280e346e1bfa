"""Session 52: the fine-tune and rounding stages in bfloat16 (``qat_bf16``) at 384x256, where since 1.25.0's 1 MiB
gate (``fit.BF16_MIN_BYTES``) they would take it. Session 25 measured ``qat_bf16`` at full size only (-0.003 to -0.059
dB at equal rate, growing with the width: qat_bf16_compare.py); session 51 found the main fit's bfloat16 gaining +0.11
to +0.14 dB at 384x256 and 0.5 bpp and asked whether the later stages would too. The 12 Kodak images with 1.26.0's
encoder and ``--config bpp=R,qat_bf16=1`` (qat_bf16_384x256.txt) against the same encoder's files without it
(pad_dtype_384x256.txt), seed 0, single-thread, two processes at a time; equal rate along the 384x256 sweep's slope.

    OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size 384x256 --config bpp=R,qat_bf16=1

Run from the repository root: python samples/perf-cpu/qat_bf16_384x256_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_and_summarize, load, sweep_slope  # noqa: E402
from step_budget_compare import SMALL  # noqa: E402


def main() -> None:
    for rate in (0.25, 0.5):
        old = load("pad_dtype_384x256.txt", f"bpp={rate:g}")
        new = load("qat_bf16_384x256.txt", f"bpp={rate:g},qat_bf16=1")
        if not (old and new):
            continue
        compare_and_summarize(f"384x256, {rate:g} bpp, seed 0: qat_bf16 against float32 stages", old, new,
                                  sweep_slope(SMALL, rate))


if __name__ == "__main__":
    main()
