"""Session 31: Adam's second-moment decay in the main fit, 0.99 against torch's default 0.999, whole encodes at 384x256,
-k 32 (width 33, 7 bits), paired by image, the 12 Kodak images (adam_beta2_384x256.txt says how each line was made).
Run from the repository root: python samples/perf-cpu/adam_beta2_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_configs  # noqa: E402

compare_configs("adam_beta2_384x256.txt", "k=32", "k=32,beta2=0.99", "384x256, -k 32, Adam beta2 0.99 against 0.999")
