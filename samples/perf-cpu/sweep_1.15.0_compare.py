"""Session 34: the 1.15.0 RD sweep at 384x256 (also 1.16.0's default: only the best preset changed) against 1.13.0's,
paired by image at each target (the same plans), at equal rate along the 1.13.0 sweep's own slope at each target (as
sessions 32 and 33 compared their screens), then BD-rate and BD-PSNR (pchip), 1.15.0 against 1.13.0 and both against
JPEG and JPEG 2000. Last, whether the sweep's files are the ones the lr 0.06 screen of session 33 fitted (single-thread
fits repeat exactly): the largest PSNR and bpp differences over the 36 pairs. Run from the repository root:
python samples/perf-cpu/sweep_1.15.0_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import SWEEP_RATES, compare_sweeps, load, sweep, sweep_slope  # noqa: E402

OLD, NEW = "rd-kodak-384x256-1.13.0", "rd-kodak-384x256-1.15.0"
compare_sweeps(OLD, NEW, lambda target: sweep_slope(OLD, target))
gaps = []
for target in SWEEP_RATES:
    screen = {**load("adam_lr_beta1_384x256.txt", f"bpp={target:g},lr=0.06"),
              **load("adam_lr_0.06_384x256.txt", f"bpp={target:g},lr=0.06")}
    swept = sweep(NEW, f"bpp={target:g}")
    gaps += [(abs(swept[i]["psnr"] - screen[i]["psnr"]), abs(swept[i]["bpp"] - screen[i]["bpp"])) for i in sorted(screen)]
print(f"sweep against session 33's lr 0.06 screen, {len(gaps)} files: PSNR within {max(g[0] for g in gaps):.3f} dB, "
      f"bpp within {max(g[1] for g in gaps):.4f}")
