"""Session 29: 550 more main-fit steps at quarter size, where a step is cheapest (2,750: 1,100 at quarter size, 550 at
half size, 1,100 at full size) against the default (2,200: 550, 550, 1,100), whole encodes at 384x256, -k 32 (width 33,
7 bits), paired by image, the 12 Kodak images:
    OMP_NUM_THREADS=1 python -m ddcodec.ablation IMAGES --size 384x256 --config k=32 \
        --config k=32,iters=2750,quarter=0.4,coarse=0.2
two such processes side by side (six images each); output in more_quarter_384x256.txt.
Run from the repository root: python samples/perf-cpu/more_quarter_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_configs  # noqa: E402

compare_configs("more_quarter_384x256.txt", "k=32", "k=32,iters=2750,quarter=0.4,coarse=0.2",
                "384x256, -k 32, 550 more quarter-size steps against the default")
