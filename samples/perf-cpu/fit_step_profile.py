"""Where a full-size CPU fitting step goes (session 15): 768x512, width 77, 2 threads, torch's profiler.
Run: PYTHONPATH=. OMP_NUM_THREADS=2 python samples/perf-cpu/fit_step_profile.py"""
import time

import torch
from torch.profiler import ProfilerActivity, profile

from ddcodec.fit import per_image_mse, tune_allocator
from ddcodec.model import DeepDecoder

torch.set_num_threads(2)
tune_allocator()
m = DeepDecoder(512, 768, 3, 77, 6, 0)
target = torch.rand(1, 3, 512, 768)
opt = torch.optim.Adam(m.parameters(), lr=0.01)


def step():
    opt.zero_grad(set_to_none=True)
    per_image_mse(m, target, None).sum().backward()
    opt.step()


for _ in range(2):
    step()
t = time.perf_counter()
for _ in range(3):
    step()
print("step s", (time.perf_counter() - t) / 3)
with profile(activities=[ProfilerActivity.CPU]) as prof:
    for _ in range(3):
        step()
print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12, max_name_column_width=45))
