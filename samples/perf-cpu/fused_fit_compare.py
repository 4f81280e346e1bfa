"""Session 67: whether the fit's C kernels of 1.38.0 (the hidden layers' ReLU and normalisation, model._ReluNorm, and
the bilinear doubling, model._Doubling) cost quality: the 12 Kodak images at 384x256 encoded by 1.37.0 (7c2f435) and
by 1.38.0 (8d354c3), side by side on one thread each, at 0.25 and 0.5 bpp with seed 0 and at 0.25 with seed 1
(fused_fit_384x256_1.37.0.txt, fused_fit_384x256_1.38.0.txt); equal rate along the 1.36.0 sweep's own slope. Run
from the repository root: python samples/perf-cpu/fused_fit_compare.py"""
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_and_summarize, load, se, sweep_slope  # noqa: E402

every = []
for config in ("bpp=0.25", "bpp=0.5", "bpp=0.25,seed=1"):
    old, new = load("fused_fit_384x256_1.37.0.txt", config), load("fused_fit_384x256_1.38.0.txt", config)
    if old and new:
        slope = sweep_slope("rd-kodak-384x256-1.36.0", float(dict(kv.split("=") for kv in config.split(","))["bpp"]))
        every += compare_and_summarize(f"384x256 {config}: 1.38.0's fused fit against 1.37.0", old, new, slope)
if every:
    print(f"all: {len(every)} pairs at equal rate {st.mean(every):+.3f} dB (SE {se(every):.3f})")
