"""Session 32: the fast preset's main fit with Adam beta2 0.99 against its 0.999 at 384x256, 0.125 / 0.25 / 0.5 bpp,
the 12 Kodak images (fast_beta2_rates_384x256.txt), at equal rate along the 1.2.0 default's slope at the nearest k.
Run from the repository root: python samples/perf-cpu/fast_beta2_rates_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_configs  # noqa: E402

for bpp, k in ((0.125, 168), (0.25, 84), (0.5, 32)):
    compare_configs("fast_beta2_rates_384x256.txt", f"preset=fast,bpp={bpp}", f"preset=fast,bpp={bpp},beta2=0.99",
                    f"384x256, {bpp} bpp, fast preset, Adam beta2 0.99 against 0.999", k=k)
