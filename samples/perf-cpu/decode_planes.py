"""Session 29: the last two levels as parity planes (ddcodec/polyphase.py) against the general path, in one process:
rounds of one warm decode of one file per mode (render.POLYPHASE off, then on at several PLANE_BAND_BYTES), the
modes' order rotating from round to round, so that the VM's drifting speed (2x within minutes in this session)
reaches every mode alike. Printed: each mode's median time, the median of its per-round ratio to the general path's,
and how many pixels differ from the general path's. Output in decode_planes.txt.

    python -m ddcodec encode IMAGE -k 32 --iters 2 -o k32.ddc      (768x512; the weights do not matter to the time)
    python samples/perf-cpu/decode_planes.py k32.ddc [ROUNDS]
"""
import statistics as st
import sys
import time

import numpy as np
import torch

import ddcodec
from ddcodec import format as fmt, render

path = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 40
torch.set_num_threads(2)
data = open(path, "rb").read()
header = fmt.decode_file(data)[0]
print(f"{path}: {header.width}x{header.height}, width {header.net_width}, kernels {bool(header.depthwise)}, 2 threads, "
      f"{rounds} rounds of one warm decode per mode")
modes = {"general": (False, render.PLANE_BAND_BYTES)} | {
    f"planes {b >> 20} MiB": (True, b) for b in (1 << 22, 1 << 23, 1 << 24, 1 << 25)}
times: dict[str, list[float]] = {m: [] for m in modes}
pixels = {}
for mode, (planes, band_bytes) in modes.items():  # warm-up, and each mode's pixels
    render.POLYPHASE, render.PLANE_BAND_BYTES = planes, band_bytes
    pixels[mode] = ddcodec.decode_pixels(data, device="cpu")
names = list(modes)
for r in range(rounds):
    for mode in names[r % len(names):] + names[:r % len(names)]:
        render.POLYPHASE, render.PLANE_BAND_BYTES = modes[mode]
        start = time.perf_counter()
        ddcodec.decode_pixels(data, device="cpu")
        times[mode].append(time.perf_counter() - start)
for mode, values in times.items():
    ratio = st.median(v / g for v, g in zip(values, times["general"]))
    diff = np.abs(pixels[mode].astype(int) - pixels["general"].astype(int))
    print(f"  {mode:15s} median {st.median(values) * 1000:5.0f} ms (quartiles {st.quantiles(values)[0] * 1000:4.0f} to "
          f"{st.quantiles(values)[2] * 1000:4.0f}), per-round ratio to general: median {ratio:.2f}; "
          f"pixels differing {int((diff > 0).any(2).sum())}, by at most {diff.max()}")
