"""Session 66: where a warm CPU decode with the fused kernels goes: the two plane levels (_fill_doubled_planes: the
last but one, _fill_top_planes: the last) split into their matrix products (BandRenderer._product) and C kernels
(fused.depthwise; "C" alone: the level below the planes), and the output conv (_render_planes). Three rounds of eight
decodes of one file, after three warm-up decodes; per decode, ms.

    OMP_NUM_THREADS=2 python samples/perf-cpu/decode_fused_split.py k32.ddc     (decode_fused_split.txt)
"""
import sys
import time

import torch

import ddcodec
from ddcodec import fused, render

torch.set_num_threads(2)
data = open(sys.argv[1], "rb").read()
spent: dict[str, float] = {}
inside = [""]  # the plane method running now


def add(key: str, seconds: float) -> None:
    spent[key] = spent.get(key, 0.0) + seconds


def within(name, method):
    def wrapper(self, *args):
        inside[0], start = name, time.perf_counter()
        result = method(self, *args)
        add(name, time.perf_counter() - start)
        inside[0] = ""
        return result
    return wrapper


def part(label, function):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        add(f"{label} {inside[0]}", time.perf_counter() - start)
        return result
    return wrapper


for name in ("_fill_top_planes", "_fill_doubled_planes", "_render_planes"):
    setattr(render.BandRenderer, name, within(name, getattr(render.BandRenderer, name)))
render.BandRenderer._product = part("mm", render.BandRenderer._product)
fused.depthwise = part("C", fused.depthwise)
for _ in range(3):
    ddcodec.decode_pixels(data, device="cpu")
for _ in range(3):
    spent.clear()
    start = time.perf_counter()
    for _ in range(8):
        ddcodec.decode_pixels(data, device="cpu")
    total = (time.perf_counter() - start) / 8
    print(f"decode {total * 1000:.1f}: " + ", ".join(f"{k} {v / 8 * 1000:.1f}" for k, v in sorted(spent.items())))
