"""Session 65: 1.36.0's RD sweeps (filled plans: rate control's first-tier precision by width, the codes filled up to
the target) against 1.35.0's at 192x128 and 384x256, paired by image at each target at equal rate along the 1.35.0
sweep's own slope, then BD-rate and BD-PSNR (pchip), 1.36.0 against 1.35.0 and both against JPEG and JPEG 2000.
The plans that moved: 384x256 at 0.125 bpp 16 wide at 7 bits -> 17 at 6 bits filled, at 0.25 bpp 20 at 7 -> 21 at
6 filled; 192x128 at 0.5 bpp 16 at 7 -> 17 at 6 filled. The others are 1.35.0's, filled where a file's float fit
packs under the target. The sweeps (1.35.0's of session 64; 1.36.0's from a snapshot of this session's ddcodec/, on
the same kind of VM, a Zen 4, two cores):
    PYTHONPATH=SNAPSHOT python -m ddcodec rd ../shared/data/kodak --out OUT --ddc-bpp 0.125,0.25,0.5 --device cpu \\
        --scale 0.25 --jobs 2        (192x128; 0.5 for 384x256)
Run from the repository root: python samples/perf-cpu/sweep_1.36.0_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_versions  # noqa: E402

compare_versions("1.35.0", "1.36.0")
