"""What writing never-touched memory costs on this machine: a decode's 72 x 512 x 768 float buffer filled band
by band (as the decoder fills a level), freshly allocated in four ways and once already touched.

python samples/perf-cpu/first_touch.py   (output in first_touch.txt)"""
import mmap
import resource
import time

import torch

torch.set_num_threads(2)
C, H, W, ROWS = 72, 512, 768, 18
band = torch.randn(C, ROWS, W)


def buffer(kind: str, touched: torch.Tensor) -> torch.Tensor:
    if kind == "touched":
        return touched
    if kind == "torch.empty":
        return torch.empty(C, H, W)
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | (mmap.MAP_POPULATE if kind == "mmap MAP_POPULATE" else 0)
    memory = mmap.mmap(-1, 4 * C * H * W, flags=flags)
    if kind == "mmap MADV_HUGEPAGE":
        memory.madvise(mmap.MADV_HUGEPAGE)
    return torch.frombuffer(memory, dtype=torch.float32).view(C, H, W)


touched = torch.zeros(C, H, W)
print(f"{C}x{H}x{W} floats ({4 * C * H * W / 2**20:.0f} MB), filled in bands of {ROWS} rows; 3 rounds")
for round_ in range(3):
    for kind in ("torch.empty", "mmap", "mmap MAP_POPULATE", "mmap MADV_HUGEPAGE", "touched"):
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        start = time.perf_counter()
        out = buffer(kind, touched)
        for y0 in range(0, H - ROWS + 1, ROWS):
            out[:, y0:y0 + ROWS].copy_(band)
        ms = 1000 * (time.perf_counter() - start)
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        print(f"round {round_ + 1}  {kind:20s} {ms:7.1f} ms  {faults:6d} page faults")
        del out
