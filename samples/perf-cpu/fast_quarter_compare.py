"""Session 29: the fast preset's main fit with a quarter-size first stage (a quarter of its 700 steps at quarter size,
a quarter at half size, the rest at full size) against its half at half size, whole encodes at 384x256, -k 32
(width 33, 7 bits), paired by image, the 12 Kodak images:
    OMP_NUM_THREADS=1 python -m ddcodec.ablation IMAGES --size 384x256 --config preset=fast,k=32 \
        --config preset=fast,k=32,quarter=0.25,coarse=0.25
two such processes side by side (six images each); output in fast_quarter_384x256.txt.
Run from the repository root: python samples/perf-cpu/fast_quarter_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_configs  # noqa: E402

compare_configs("fast_quarter_384x256.txt", "preset=fast,k=32", "preset=fast,k=32,quarter=0.25,coarse=0.25",
                "384x256, -k 32, fast preset, quarter stage against half at half size")
