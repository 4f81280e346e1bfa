"""Session 66: torch's profiler over three full-size fitting steps as the encoder takes them on a CPU with native
bfloat16 (the forward under CPU bfloat16 autocast: ``stepbench._step(..., bf16=True)``), 768x512, kernels on every
layer; first the mean step time of five unprofiled steps. Where the CPU encode's time goes, for the next speed work.

    OMP_NUM_THREADS=2 python samples/perf-cpu/step_profile_bf16.py WIDTH [COARSE]     (step_profile_bf16_zen4.txt)
"""
import sys
import time

import torch
from torch.profiler import ProfilerActivity, profile

from ddcodec import fit, stepbench
from ddcodec import format as fmt
from ddcodec.codec import DEFAULT_DEPTH

torch.set_num_threads(2)
fit.tune_allocator()
width, coarse = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 0
net, target = stepbench._model_and_target(512, 768, width, 1, coarse, torch.device("cpu"),
                                          depthwise=fmt.all_layers(DEFAULT_DEPTH))
opt = torch.optim.Adam(net.parameters(), lr=1e-4)


def step() -> None:
    opt.zero_grad(set_to_none=True)
    stepbench._step(net, target, opt, coarse, bf16=True)


for _ in range(3):
    step()
start = time.perf_counter()
for _ in range(5):
    step()
print(f"width {width}, coarse {coarse}: {(time.perf_counter() - start) / 5 * 1000:.1f} ms/step")
with profile(activities=[ProfilerActivity.CPU]) as prof:
    for _ in range(3):
        step()
print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=14))
