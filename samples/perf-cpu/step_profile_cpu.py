"""Session 53: torch's profiler over three float32 full-size fitting steps on the CPU (768x512, kernels on every
layer), the ops by self time; first the mean step time of five unprofiled steps.

    OMP_NUM_THREADS=2 python samples/perf-cpu/step_profile_cpu.py WIDTH [HALF]      (step_profile_cpu_w72.txt)"""
import sys
import time

import torch
from torch.profiler import ProfilerActivity, profile

from ddcodec import fit, format as fmt, stepbench
from ddcodec.presets import DEFAULT_DEPTH


def main() -> None:
    torch.set_num_threads(2)
    fit.tune_allocator()
    width, coarse = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 0
    net, target = stepbench._model_and_target(512, 768, width, 1, coarse, torch.device("cpu"),
                                              depthwise=fmt.all_layers(DEFAULT_DEPTH))
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        stepbench._step(net, target, opt, coarse)

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
