"""Session 38: does 6 bits beat rate control's 7 at 0.5 bpp since 1.17.0's rounding noise and 1.18.0's rounding stage?
(Session 27, before both, found 6 bits ahead at 384x256, +0.19 dB on six images, SE 0.17, but behind at full size on
kodim01 and 13: RESULTS.md, "Rounding at 6 bits and fewer".) The 6-bit plans (`--config bpp=0.5,bits=6`, a network about
10% wider at the same rate) against 1.18.0's default, which plans 7 bits at 0.5 bpp at both sizes:
at 384x256, the 12 Kodak images (six_bits_0.5_384x256.txt) against the 1.18.0 sweep's files, fitted on a VM like this
session's (the sweep's files repeat its screens exactly); the float PSNR against session 37's screen of the same
default (rounding_stage_7bit_384x256.txt), which the sweep's files repeat but do not print. No full-size fits: the
384x256 mean came out level. At equal rate along the 1.18.0 sweep's own slope at 0.5 bpp; rounding cost is float minus decoded PSNR.
Run from the repository root: python samples/perf-cpu/six_bits_1.18.0_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_per_image, load, mean, rounding_cost, sweep, sweep_slope  # noqa: E402

SWEEP = "rd-kodak-384x256-1.18.0"
SLOPE = sweep_slope(SWEEP, 0.5)

base, new = sweep(SWEEP, "bpp=0.5"), load("six_bits_0.5_384x256.txt", "bpp=0.5,bits=6")
compare_per_image("384x256, 0.5 bpp: 6 bits (width 33) against 1.18.0's 7 (width 30)", base, new, SLOPE)
images = sorted(new)
print(f"  6 bits: rounding cost {rounding_cost(new, images):.3f} dB; encode seconds {mean(base, 'seconds', images):.0f} "
      f"-> {mean(new, 'seconds', images):.0f} (single thread, two jobs)")
old = load("rounding_stage_7bit_384x256.txt", "bpp=0.5,qnoise=0.08,prog=50,prog_lr=0.0003")
print(f"  float PSNR {mean(old, 'float_psnr', images):.2f} (7 bits) -> {mean(new, 'float_psnr', images):.2f} (6 bits): "
      + " ".join(f"{i[:-4]} {new[i]['float_psnr'] - old[i]['float_psnr']:+.2f}" for i in images)
      + f"; 7 bits' rounding cost {rounding_cost(old, images):.3f} dB")
