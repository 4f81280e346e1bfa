"""Session 66: how many of a file's decoded values differ between the fused C kernels and torch's ops
(DDCODEC_FUSED=0), and by how much.

    python samples/perf-cpu/fused_pixels_agree.py FILE.ddc...     (fused_pixels_agree.txt)
"""
import sys

import numpy as np

import ddcodec
from ddcodec import fused

for path in sys.argv[1:]:
    data = open(path, "rb").read()
    fused.ENABLED = True
    assert fused.available(), "the C kernels are not built"
    with_kernels = ddcodec.decode_pixels(data, device="cpu").astype(int)
    fused.ENABLED = False
    with_torch = ddcodec.decode_pixels(data, device="cpu").astype(int)
    diff = np.abs(with_kernels - with_torch)
    print(f"{path}: {(diff > 0).sum()} of {diff.size} values differ, by at most {diff.max()}")
