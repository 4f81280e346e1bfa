"""Session 30: the best preset rebuilt on the default's schedule (its 6,000 main-fit steps as the default's: a quarter at
quarter size, a quarter at half size, the rest at full size; then the default's progressive rounding instead of a
1,200-step fine-tune) against the best preset of 1.12.0 (6,000 full-size steps, then the fine-tune), whole encodes at
384x256, -k 32 (width 33, 7 bits), paired by image; and the same with best's 1,200-step fine-tune after the rounding:
    OMP_NUM_THREADS=1 python -m ddcodec.ablation IMAGE --size 384x256 --config preset=best,k=32 --config k=32,iters=6000
    OMP_NUM_THREADS=1 python -m ddcodec.ablation IMAGE --size 384x256 --config k=32,iters=6000,qat=1200
two such processes side by side (one image each); output in best_preset_384x256.txt, with the default's lines of
those images (session 29's more_quarter_384x256.txt: single-thread fits repeat to every printed digit).
Run from the repository root: python samples/perf-cpu/best_preset_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_configs  # noqa: E402

compare_configs("best_preset_384x256.txt", "preset=best,k=32", "k=32,iters=6000",
                "384x256, -k 32, 6,000 steps on the default's schedule against 1.12.0's best preset")
compare_configs("best_preset_384x256.txt", "k=32", "k=32,iters=6000",
                "384x256, -k 32, 6,000 steps on the default's schedule against the default (2,200)")
compare_configs("best_preset_384x256.txt", "preset=best,k=32", "k=32,iters=6000,qat=1200",
                "384x256, -k 32, the same with best's 1,200-step fine-tune after the rounding, against 1.12.0's best")
