"""Session 20: how to run the depthwise kernels on a CPU, timed (run with nothing else on the machine).

Decoder (no gradients): one band of a 768x512 image at k=32's width with kernels (72 channels, 18 rows + halo, 768
columns), through torch's depthwise convolution channels-last and channels-first, and through the decoder's nine
multiply-adds along contiguous rows (ddcodec.render._convolve_channels_first). Fit (forward and backward): a whole
full-resolution layer at --bpp 0.25's width with kernels (45 channels, 512 x 768), the kernel applied as
ddcodec.model._depthwise does (channels-last, replicate padding) and through a channels-first copy.

Run from the repository root: python samples/perf-cpu/depthwise_timing.py"""
import torch
import torch.nn.functional as F

from ddcodec.bench import time_call
from ddcodec.render import _convolve_channels_first


def ms(func, repeats: int) -> float:
    """Median milliseconds of ``func()`` after one warm-up (the benchmark's own timer)."""
    return 1000 * time_call(func, repeats)


torch.set_num_threads(2)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
C, R, W = 72, 18, 768
gen = torch.Generator().manual_seed(0)
taps = torch.randn(C, 9, generator=gen)
first = torch.randn(C, R + 2, W, generator=gen)  # channels-first band with its halo rows
last = first.permute(1, 2, 0).contiguous().permute(2, 0, 1)[None]  # the same values, channels-last
outputs = C * R * W
with torch.no_grad():
    for label, func in (
            ("torch conv2d, channels-last view", lambda: F.conv2d(last, taps.view(C, 1, 3, 3), groups=C, padding=(0, 1))),
            ("torch conv2d, channels-first", lambda: F.conv2d(first[None], taps.view(C, 1, 3, 3), groups=C, padding=(0, 1))),
            ("nine multiply-adds, channels-first (the decoder's)", lambda: _convolve_channels_first(first, taps))):
        t = ms(func, 20)
        print(f"decode band {C}x{R}x{W}: {label:<52} {t:6.2f} ms  {1e6 * t / outputs:.2f} ns per value")

C, H, W = 45, 512, 768
x0 = torch.randn(1, C, H, W, generator=gen).contiguous(memory_format=torch.channels_last)
kernel = torch.randn(C, 1, 3, 3, generator=gen, requires_grad=True)
for label, func in (
        ("channels-last, replicate pad (the fit's)", lambda x: F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel, groups=C)),
        ("through a channels-first copy", lambda x: F.conv2d(F.pad(x.contiguous(), (1, 1, 1, 1), mode="replicate"), kernel,
                                                             groups=C).contiguous(memory_format=torch.channels_last)),
        ("ReLU alone, for scale", F.relu)):
    x = x0.clone().requires_grad_(True)
    t = ms(lambda: func(x).sum().backward(), 3)
    print(f"fit layer {C}x{H}x{W}, forward + backward: {label:<42} {t:6.1f} ms")
