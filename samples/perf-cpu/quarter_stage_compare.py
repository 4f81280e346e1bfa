"""Session 28: a quarter-size first stage of the main fit (``FitSchedule.quarter_fraction``: the first quarter of the
2,200 steps at quarter size, the next quarter at half size, the rest at full size) against the default's half at half
size, whole encodes through the encoder at 384x256, -k 32 (width 33, 7 bits), paired by image:
    OMP_NUM_THREADS=1 python -m ddcodec.ablation IMAGES --size 384x256 --config k=32 --config k=32,quarter=0.25,coarse=0.25
two such processes side by side (three images each); output in quarter_stage_384x256.txt. There "k=32" was 1.10.0's
default (half the steps at half size); since 1.11.0 the same pair is --config k=32,quarter=0,coarse=0.5 --config k=32.
Run from the repository root: python samples/perf-cpu/quarter_stage_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_configs  # noqa: E402

compare_configs("quarter_stage_384x256.txt", "k=32", "k=32,quarter=0.25,coarse=0.25",
                "384x256, -k 32, quarter stage against the default")
