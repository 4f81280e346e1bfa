"""Session 38: the 1.18.0 RD sweep at 384x256 against 1.15.0's, paired by image at each target (the same plans), at
equal rate along the 1.15.0 sweep's own slope at each target, then BD-rate and BD-PSNR (pchip), 1.18.0 against 1.15.0
and both against JPEG and JPEG 2000. The two sweeps ran on different VMs (1.15.0: 2 cores of an AMD EPYC with AVX2;
1.18.0: an Intel Xeon with AVX-512 and AMX), whose single-thread fits differ, so per-image differences hold each fit's
spread as well as the versions'. Last, whether the sweep's files are the ones session 37's screens fitted on a VM
like this one (single-thread fits repeat exactly on one kind of VM): the largest PSNR and bpp differences.
Run from the repository root: python samples/perf-cpu/sweep_1.18.0_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_sweeps, load, sweep, sweep_slope  # noqa: E402

OLD, NEW = "rd-kodak-384x256-1.15.0", "rd-kodak-384x256-1.18.0"
compare_sweeps(OLD, NEW, lambda target: sweep_slope(OLD, target))
# session 37's lines of 1.18.0's default (the stage pinned as it now is) at each target
SCREENS = {0.125: ("rounding_stage_6bit_384x256.txt", "bpp=0.125,prog_low=50"),
           0.25: ("rounding_stage_7bit_384x256.txt", "bpp=0.25,qnoise=0.08,prog=50,prog_lr=0.0003"),
           0.5: ("rounding_stage_7bit_384x256.txt", "bpp=0.5,qnoise=0.08,prog=50,prog_lr=0.0003")}
gaps = []
for target, (name, config) in SCREENS.items():
    screen, swept = load(name, config), sweep(NEW, f"bpp={target:g}")
    gaps += [(abs(swept[i]["psnr"] - screen[i]["psnr"]), abs(swept[i]["bpp"] - screen[i]["bpp"])) for i in screen]
print(f"sweep against session 37's screens of the same settings, {len(gaps)} files: PSNR within "
      f"{max(g[0] for g in gaps):.3f} dB (the screens print two decimals), bpp within {max(g[1] for g in gaps):.4f}")
