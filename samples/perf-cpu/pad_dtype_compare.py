"""Session 52: the depthwise kernel's replicate padding in the layer's own dtype (1.26.0, ``model._replicate_pad``)
against 1.25.0, whose padding CPU autocast ran in float32. The 12 Kodak images with 1.26.0's encoder
(pad_dtype_384x256.txt: 384x256 at 0.125, 0.25 and 0.5 bpp, seed 0; pad_dtype_576x384.txt: 576x384 at 0.25 bpp)
against 1.25.0's files of the same configs (bf16_gate_384x256.txt, bf16_gate_rates_384x256.txt,
bf16_gate_576x384.txt: single-thread fits repeat exactly on this CPU kind), and two full-size images (seed 1) against
1.25.0's; equal rate along the sweeps' slopes. Run from the repository root:
python samples/perf-cpu/pad_dtype_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_and_summarize, load, local_slope, sweep, sweep_slope  # noqa: E402
from step_budget_compare import FULL, SMALL  # noqa: E402

NEW = "pad_dtype_384x256.txt"


def _compare(label: str, old_name: str, config: str, slope: float, new_name: str = NEW) -> None:
    old, new = load(old_name, config), load(new_name, config)
    if not (old and new):
        return
    compare_and_summarize(f"{label}: own-dtype padding against float32 (1.25.0)", old, new, slope)


def _same_hour() -> None:
    """The encode times that can be compared: 1.25.0 (pad_dtype_ab_old.txt) and 1.26.0 (pad_dtype_ab_new.txt) encoding
    one image side by side, one single-thread process each, pair after pair (the other runs compare with files of
    sessions 50 and 51, when this VM ran some 8% slower: the 0.125 bpp files, which have no kernels, are the same
    files as 1.25.0's, 8.1% faster)."""
    print("same hour, side by side (1.25.0 -> 1.26.0):")
    for config in ("bpp=0.25", "bpp=0.5", "bpp=0.25,seed=1"):
        old, new = load("pad_dtype_ab_old.txt", config), load("pad_dtype_ab_new.txt", config)
        for image in sorted(set(old) & set(new)):
            o, n = old[image], new[image]
            print(f"  {image[:-4]} {config} (width {n['width']}): {o['seconds']:.0f} -> {n['seconds']:.0f} s "
                  f"({n['seconds'] / o['seconds'] - 1:+.1%}); {o['psnr']:.2f} dB at {o['bpp']:.4f} bpp -> "
                  f"{n['psnr']:.2f} at {n['bpp']:.4f}")


def main() -> None:
    _compare("384x256, 0.125 bpp, seed 0", "bf16_gate_rates_384x256.txt", "bpp=0.125", sweep_slope(SMALL, 0.125))
    _compare("384x256, 0.25 bpp, seed 0", "bf16_gate_384x256.txt", "bpp=0.25", sweep_slope(SMALL, 0.25))
    _compare("384x256, 0.5 bpp, seed 0", "bf16_gate_rates_384x256.txt", "bpp=0.5", sweep_slope(SMALL, 0.5))
    # no sweep at 576x384: the 384x256 sweep's slope at 0.25 bpp, as bf16_gate_compare
    _compare("576x384, 0.25 bpp, seed 0", "bf16_gate_576x384.txt", "bpp=0.25", sweep_slope(SMALL, 0.25),
             "pad_dtype_576x384.txt")
    # the full-size sweep has the 12 images at 0.125 and 0.25 bpp only (bf16_gate_compare's slope)
    low, high = sweep(FULL, "bpp=0.125"), sweep(FULL, "bpp=0.25")
    _compare("768x512, 0.25 bpp, seed 1", "bf16_gate_384x256.txt", "bpp=0.25,seed=1",
             local_slope(low, high, sorted(high)))
    _same_hour()


if __name__ == "__main__":
    main()
