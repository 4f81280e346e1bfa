"""Session 53: the normalisation's backward from column sums over the channels-last layer's (pixels, C) rows
(``model._PixelRowsNorm``, version 1.28.0: float32 CPU layers of at most 28 channels and 2^20 values) against torch's
channels-last batch-norm backward (1.27.0). On an AVX2 CPU (no native bfloat16: every step float32), the 12 Kodak
images at 384x256 and 0.25 bpp, the default preset: 1.27.0 and 1.28.0 encoding the same image side by side, one
single-thread process each, image after image (rows_norm_ab_old_384x256.txt, rows_norm_ab_new_384x256.txt):

    cd /tmp && PYTHONPATH=CHECKOUT OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size 384x256 \\
        --config bpp=0.25

(run outside the repository, whose own ddcodec would come first on the path). Equal rate along the 384x256 sweep's
slope. Session 54: the same at 0.5 bpp (width 30, which 1.29.0's gate adds), 1.29.0 with ``ROWS_NORM_MIN_THREADS`` set
to 1 in its checkout (the forward and backward from column sums) against 1.28.0 (torch's batch norm at width 30)
(rows_norm_ab_old_0.5_384x256.txt, rows_norm_ab_new_0.5_384x256.txt; --config bpp=0.5).
Run from anywhere: python samples/perf-cpu/rows_norm_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_and_summarize, load, sweep_slope  # noqa: E402
from step_budget_compare import SMALL  # noqa: E402


def main() -> None:
    for rate, suffix, label in (
            (0.25, "384x256", "rows backward (1.28.0) against torch's (1.27.0)"),
            (0.5, "0.5_384x256", "rows forward and backward (1.29.0) against torch's (1.28.0 at width 30)")):
        old = load(f"rows_norm_ab_old_{suffix}.txt", f"bpp={rate:g}")
        new = load(f"rows_norm_ab_new_{suffix}.txt", f"bpp={rate:g}")
        compare_and_summarize(f"384x256, {rate:g} bpp, AVX2, float32: {label}", old, new, sweep_slope(SMALL, rate))
        for image in sorted(set(old) & set(new)):
            o, n = old[image], new[image]
            print(f"  {image[:-4]} (width {n['width']}, {n['bits']} bits): {o['seconds']:.0f} -> {n['seconds']:.0f} s "
                  f"({n['seconds'] / o['seconds'] - 1:+.1%}); {o['psnr']:.2f} dB at {o['bpp']:.4f} bpp -> "
                  f"{n['psnr']:.2f} at {n['bpp']:.4f}")


if __name__ == "__main__":
    main()
