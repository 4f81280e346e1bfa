"""Session 53: the normalisation's backward from column sums over the channels-last layer's (pixels, C) rows
(``model._PixelRowsNorm``, version 1.28.0: float32 CPU layers of at most 28 channels and 2^20 values) against torch's
channels-last batch-norm backward (1.27.0). On an AVX2 CPU (no native bfloat16: every step float32), the 12 Kodak
images at 384x256 and 0.25 bpp, the default preset: 1.27.0 and 1.28.0 encoding the same image side by side, one
single-thread process each, image after image (rows_norm_ab_old_384x256.txt, rows_norm_ab_new_384x256.txt):

    cd /tmp && PYTHONPATH=CHECKOUT OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size 384x256 \\
        --config bpp=0.25

(run outside the repository, whose own ddcodec would come first on the path). Equal rate along the 384x256 sweep's
slope. Run from the repository root: python samples/perf-cpu/rows_norm_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_and_summarize, load, sweep_slope  # noqa: E402
from step_budget_compare import SMALL  # noqa: E402


def main() -> None:
    old, new = load("rows_norm_ab_old_384x256.txt", "bpp=0.25"), load("rows_norm_ab_new_384x256.txt", "bpp=0.25")
    compare_and_summarize("384x256, 0.25 bpp, AVX2, float32: rows backward (1.28.0) against torch's (1.27.0)", old,
                          new, sweep_slope(SMALL, 0.25))
    for image in sorted(set(old) & set(new)):
        o, n = old[image], new[image]
        print(f"  {image[:-4]} (width {n['width']}, {n['bits']} bits): {o['seconds']:.0f} -> {n['seconds']:.0f} s "
              f"({n['seconds'] / o['seconds'] - 1:+.1%}); {o['psnr']:.2f} dB at {o['bpp']:.4f} bpp -> "
              f"{n['psnr']:.2f} at {n['bpp']:.4f}")


if __name__ == "__main__":
    main()
