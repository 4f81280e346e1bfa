"""Session 54: torch's channels-last bilinear doubling (``F.interpolate``, as the fit upsamples) forward and backward
together, one float32 layer doubled to HxW at a time, per channel count C; medians of 7, in ns per output value.

    OMP_NUM_THREADS=T python samples/perf-cpu/upsample_widths.py HxW C,C,... [T]      (upsample_widths.txt)

Left for a later session (upsample_widths.txt): 1.6 to 2.3 ns at 17 to 28 channels against 1.0 to 1.4 at 24, 32, 34 and
72, and single runs at 2.9 to 4.9 at widths that took half that in the other run (20, 22, 45; 24 on one thread): a mild
width penalty and random slow runs, not the normalisation's consistent slowness off multiples of 16 (norm_widths.py)."""
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from column_sums import _ms, width_sweep  # noqa: E402


def main() -> None:
    height, width, channels = width_sweep()
    for c in channels:
        low = torch.randn(1, c, height // 2, width // 2).contiguous(memory_format=torch.channels_last).requires_grad_()
        grad = torch.randn(1, c, height, width).contiguous(memory_format=torch.channels_last)
        forward = _ms(lambda: F.interpolate(low, scale_factor=2, mode="bilinear"), 7)
        both = _ms(lambda: torch.autograd.grad(F.interpolate(low, scale_factor=2, mode="bilinear"), low, grad), 7)
        values = height * width * c / 1e6
        print(f"C={c:3d} doubling forward {forward / values:.2f}, forward + backward {both / values:.2f} ns per value",
              flush=True)


if __name__ == "__main__":
    main()
