"""Session 51: leaky ReLUs with the codec's own encoder (leaky_encode.py), against 1.25.0's ReLUs.

The 12 Kodak images at 384x256 and 0.25 bpp, seed 0, against session 50's files of the same encoder with ReLUs
(bf16_gate_384x256.txt: 1.25.0's gate, which single-thread fits repeat exactly on this CPU kind); equal rate along the
1.18.0 sweep's slope. Run from the repository root: python samples/perf-cpu/leaky_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_and_summarize, load, sweep_slope  # noqa: E402
from step_budget_compare import SMALL  # noqa: E402


def main() -> None:
    base = load("bf16_gate_384x256.txt", "bpp=0.25")
    for slope in ("0.1", "0.2"):
        rows = load(f"leaky_{slope}_384x256.txt", "bpp=0.25")
        compare_and_summarize(f"384x256, 0.25 bpp, seed 0: leaky ReLU {slope} against ReLU", base, rows,
                                  sweep_slope(SMALL, 0.25))


if __name__ == "__main__":
    main()
