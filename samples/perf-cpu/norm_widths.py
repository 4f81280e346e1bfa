"""Session 54: torch's channels-last batch norm in training mode (forward and backward together) against
``model._PixelRowsNorm``'s, one float32 layer of HxW pixels and C channels at a time (a ReLU's output: random normals
clipped at 0), medians of 7, for each C given.

    OMP_NUM_THREADS=T python samples/perf-cpu/norm_widths.py HxW C,C,... [T]      (norm_widths.txt)

On 2 threads torch's took 1.0 to 1.6 ns per value where C is a multiple of 16 and 2.2 to 8.8 ns at the other widths up
to 45, slower than on one thread: ``model.ROWS_NORM_*`` follow from it and from whole steps (rows_norm_fresh.py)."""
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from ddcodec import model

sys.path.insert(0, str(Path(__file__).parent))
from column_sums import _ms, width_sweep  # noqa: E402


def main() -> None:
    height, width, channels = width_sweep()
    for c in channels:
        x = torch.randn(1, c, height, width).contiguous(memory_format=torch.channels_last).relu_()
        grad = torch.randn(1, c, height, width).contiguous(memory_format=torch.channels_last)
        scale, shift = torch.ones(c), torch.zeros(c)
        times = []
        for norm in (lambda *a: F.batch_norm(a[0], None, None, *a[1:], training=True, eps=model.NORM_EPS),
                     model._PixelRowsNorm.apply):
            inputs = [t.clone().requires_grad_() for t in (x, scale, shift)]
            times.append(_ms(lambda: torch.autograd.grad(norm(*inputs), inputs, grad), 7))
        values = height * width * c / 1e6
        print(f"C={c:3d} forward + backward: torch {times[0]:6.1f} ms ({times[0] / values:.2f} ns per value), rows "
              f"{times[1]:6.1f} ({times[1] / values:.2f}); ratio {times[1] / times[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
