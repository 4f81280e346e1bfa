"""Session 64: 1.35.0's RD sweeps (format version 4's compact layout) against 1.34.1's at the same sizes, run in the
same session on the same VM (a Zen 4, two cores), paired by image at each target at equal rate along the 1.34.1
sweep's own slope, then BD-rate and BD-PSNR (pchip), 1.35.0 against 1.34.1 and both against JPEG and JPEG 2000.
1.35.0 differs only in its files (the header and the scales' codes it no longer stores, bfloat16 shift and output
steps) and in the size model that plans them (its bytes buy a wider network where a width fits the target's window).
The sweeps (1.34.1 from a snapshot of commit 4dc3fae's ddcodec/, 1.35.0 from commit 2b60386's):
    [PYTHONPATH=SNAPSHOT] OMP_NUM_THREADS=1 python -m ddcodec rd ../shared/data/kodak --out OUT \\
        --ddc-bpp 0.125,0.25,0.5 --device cpu --scale 0.25          (192x128, the two versions side by side)
    [PYTHONPATH=SNAPSHOT] python -m ddcodec rd ../shared/data/kodak --out OUT --ddc-bpp 0.125,0.25,0.5 --device cpu \\
        --scale 0.5 --jobs 2                                          (384x256, one version after the other)
Run from the repository root: python samples/perf-cpu/sweep_1.35.0_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_versions  # noqa: E402

compare_versions("1.34.1", "1.35.0")
