"""Session 53: torch's profiler over three float32 full-size fitting steps on the CPU (768x512, kernels from width
16), the ops by self time; first the mean step time of five unprofiled steps.

    OMP_NUM_THREADS=2 python samples/perf-cpu/step_profile_cpu.py WIDTH [HALF]      (step_profile_cpu_w72.txt)"""
import sys
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).parent))
from rows_norm_step import fit_step  # noqa: E402


def main() -> None:
    torch.set_num_threads(2)
    width, coarse = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 0
    step = fit_step(768, 512, width, coarse)
    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(5):
        step()
    print(f"width {width}, {'half' if coarse else 'full'}-size: {(time.perf_counter() - start) / 5 * 1000:.1f} ms/step")
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(3):
            step()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))


if __name__ == "__main__":
    main()
