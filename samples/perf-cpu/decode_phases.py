"""Session 22: where a warm CPU decode goes, level by level: BandRenderer's pass over each level (its conv,
upsampling, kernel, ReLU and statistics; a kept level is computed in its own pass) is timed, then render()'s whole,
whose remainder is the output conv. Six decodes of one file; medians of the last five, and the first.

    python -m ddcodec encode IMAGE -k 32 --iters 2 -o k32.ddc [--depthwise off]      (weights do not matter here)
    OMP_NUM_THREADS=2 python samples/perf-cpu/decode_phases.py k32.ddc 2 [profile] [general]    (decode_phases.txt)

With "profile", torch's profiler then sums three more warm decodes by op (self CPU time). With "general" (session 29)
the last two levels take the general path, not the parity planes (render.POLYPHASE).
"""
import statistics as st
import sys
import time

import torch

import ddcodec
from ddcodec import format as fmt, render

path, threads = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(threads)
render.POLYPHASE = "general" not in sys.argv[3:]
data = open(path, "rb").read()
times: dict[str, list[float]] = {}


def timed(label, method):
    def wrapper(self, *args):
        start = time.perf_counter()
        result = method(self, *args)
        times.setdefault(label(args), []).append(time.perf_counter() - start)
        return result
    return wrapper


render.BandRenderer._fold_statistics = timed(lambda args: f"level {args[0]}", render.BandRenderer._fold_statistics)
render.BandRenderer.render = timed(lambda args: "render() in all", render.BandRenderer.render)
header = fmt.decode_file(data)[0]
print(f"{path}: {header.width}x{header.height}, width {header.net_width}, kernels {bool(header.depthwise)}, "
      f"{threads} threads")
for _ in range(6):
    start = time.perf_counter()
    ddcodec.decode_pixels(data, device="cpu")
    times.setdefault("decode_pixels", []).append(time.perf_counter() - start)
for label, values in times.items():
    print(f"  {label:16s} median {st.median(values[1:]) * 1000:6.1f} ms, first {values[0] * 1000:6.1f} ms")
if "profile" in sys.argv[3:]:
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(3):
            ddcodec.decode_pixels(data, device="cpu")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))
