"""Session 27: glibc trim threshold 0 (what tune_allocator set before, by C int truncation) against the largest int
(fit.MALLOC_SETTINGS since then): one encode of kodim01 at 768x512, -k 32, --iters 300, 2 threads; prints wall time,
PSNR, minor page faults and system / user CPU seconds. Output of two alternating pairs: allocator_trim.txt.

    python samples/perf-cpu/allocator_trim.py old|new
"""
import resource
import sys
import time
from pathlib import Path

import ddcodec.fit as fit
if sys.argv[1] == "old":
    fit.MALLOC_SETTINGS[-1] = 0  # what 1 << 34 reached glibc as
import ddcodec
from PIL import Image
img = Image.open(Path(__file__).resolve().parents[3] / "shared/data/kodak/kodim01.png").convert("RGB")
s = time.perf_counter()
data, r = ddcodec.encode(img, k=32, iters=300, device="cpu")
ru = resource.getrusage(resource.RUSAGE_SELF)
print(sys.argv[1], f"{time.perf_counter()-s:.0f} s, psnr {r.psnr:.3f}, minor faults {ru.ru_minflt}, sys {ru.ru_stime:.0f} s, user {ru.ru_utime:.0f} s", flush=True)
