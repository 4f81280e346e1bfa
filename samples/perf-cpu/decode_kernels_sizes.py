"""Session 21: decode time, page faults and peak memory of square images with and without depthwise kernels, one
thread, in one process (the synthetic file of ``ddcodec.bench``: the quantised initial network at k=32).

At 1024x1024 the last level no longer fits the decoder's 512 MiB cache, so the banded renderer computes it twice
(statistics, then image) and, with kernels, the level below it three times, each time through the channels-first
kernel bands. python samples/perf-cpu/decode_kernels_sizes.py 512 1024   (output in decode_kernels_sizes.txt)"""
import resource
import sys
import time

import torch

from ddcodec.bench import synthetic_file
from ddcodec.codec import decode_pixels

torch.set_num_threads(1)
for side in map(int, sys.argv[1:]):
    for depthwise in ("off", "auto"):
        data = synthetic_file(side, side, 32.0, depthwise=depthwise)
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        start = time.perf_counter()
        decode_pixels(data, "cpu")
        seconds = time.perf_counter() - start
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        print(f"{side}x{side} depthwise={depthwise:4s} {seconds:6.2f} s  {faults:7d} page faults  "
              f"peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
