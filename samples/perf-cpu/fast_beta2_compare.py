"""Session 31: the fast preset's main fit with Adam beta2 0.99 against 0.999 at 384x256, -k 32, six images
(fast_beta2_384x256.txt). Run from the repository root: python samples/perf-cpu/fast_beta2_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_configs  # noqa: E402

compare_configs("fast_beta2_384x256.txt", "preset=fast,k=32", "preset=fast,k=32,beta2=0.99",
                "384x256, -k 32, fast preset, Adam beta2 0.99 against 0.999")
