"""Session 31: the 1.13.0 RD sweep at 384x256 against 1.12.0's, paired by image at each target (the same plans), at
equal rate along the 1.2.0 default's slope at k=32 (paired.slopes), then BD-rate and BD-PSNR (pchip) over the three
points, 1.13.0 against 1.12.0 and both against JPEG and JPEG 2000. Run from the repository root:
python samples/perf-cpu/sweep_1.13.0_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_sweeps, slopes  # noqa: E402

compare_sweeps("rd-kodak-384x256-1.12.0", "rd-kodak-384x256-1.13.0", lambda target: slopes()[32])
