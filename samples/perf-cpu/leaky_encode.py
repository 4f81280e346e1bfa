"""``python -m ddcodec.ablation`` with leaky ReLUs in place of the network's ReLUs (negative slope: the first argument).

Session 51's check of the architecture screen's dw_leaky (+0.18 dB float, architecture_screen_heads_leaky_384x256.txt)
with the codec's own encoder, the rest of 1.25.0's default unchanged. The file format cannot say which activation a
network has, so this replaces ``torch.nn.functional.relu`` and ``Tensor.relu_`` in the whole process: the fit, the
rounding stages and the decode that measures the PSNR all take the same activation (no file it writes decodes
right anywhere else). Session 51 ran, single-thread, two at a time (output leaky_SLOPE_384x256.txt):
  OMP_NUM_THREADS=1 python samples/perf-cpu/leaky_encode.py 0.1 KODAK/kodimNN.png --size 384x256 --config bpp=0.25
Figures: python samples/perf-cpu/leaky_compare.py"""
import sys

import torch
import torch.nn.functional as F

from ddcodec import ablation


def leaky(slope: float) -> None:
    """Every later ``F.relu(x)`` and ``x.relu_()`` in this process becomes a leaky ReLU of this slope."""
    F.relu = lambda x, inplace=False: F.leaky_relu(x, slope, inplace)
    torch.Tensor.relu_ = lambda self: F.leaky_relu_(self, slope)


if __name__ == "__main__":
    leaky(float(sys.argv[1]))
    ablation.main(sys.argv[2:])
