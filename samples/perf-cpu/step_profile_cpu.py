"""Session 53: torch's profiler over three float32 full-size fitting steps on the CPU (768x512, kernels from width
16), the ops by self time; first the mean step time of five unprofiled steps. Session 66: with "bf16", the steps under
bfloat16 autocast, as the encoder takes them on CPUs with native bfloat16.

    OMP_NUM_THREADS=2 python samples/perf-cpu/step_profile_cpu.py WIDTH [HALF] [bf16]
        (step_profile_cpu_w72.txt; step_profile_bf16_zen4.txt: 72 0 bf16)"""
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
    bf16 = "bf16" in sys.argv[3:]
    step = fit_step(768, 512, width, coarse, bf16)
    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(5):
        step()
    seconds = (time.perf_counter() - start) / 5
    kind = f"{'half' if coarse else 'full'}-size{', bfloat16' if bf16 else ''}"
    print(f"width {width}, {kind}: {seconds * 1000:.1f} ms/step")
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(3):
            step()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))


if __name__ == "__main__":
    main()
