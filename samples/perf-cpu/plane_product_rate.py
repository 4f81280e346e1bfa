"""Session 66: torch.mm's rate on the decode's plane products alone (72x72 conv times a band of 72 channels of
``rows`` half rows of 384 columns), the operand a strided view of the planes as the renderer passes it, a contiguous
copy, and the channels-last product for comparison; 2 threads, 200 repeats, operands in cache.

    OMP_NUM_THREADS=2 python samples/perf-cpu/plane_product_rate.py     (plane_product_rate.txt)
"""
import time

import torch

torch.set_num_threads(2)


def ms(function, repeats=200):
    for _ in range(5):
        function()
    start = time.perf_counter()
    for _ in range(repeats):
        function()
    return (time.perf_counter() - start) / repeats * 1000


C = 72
planes = torch.randn(4, C, 257, 384)
for rows in (10, 19, 40):
    n = rows * 384
    conv, out = torch.randn(C, C), torch.empty(C, n)
    strided = planes[0, :, 1:1 + rows].reshape(C, -1)
    contiguous = strided.contiguous()
    last, out_last = torch.randn(n, C), torch.empty(n, C)
    gflop = 2 * C * C * n / 1e9
    timings = [ms(lambda: torch.mm(conv, strided, out=out)), ms(lambda: torch.mm(conv, contiguous, out=out)),
               ms(lambda: torch.mm(last, conv, out=out_last))]
    names = ("strided", "contiguous", "channels-last")
    print(f"{rows} half rows ({n} px): "
          + ", ".join(f"{name} {t:.3f} ms ({gflop / t * 1e3:.0f} GFLOP/s)" for name, t in zip(names, timings)))
