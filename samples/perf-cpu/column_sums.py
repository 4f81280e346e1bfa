"""Session 53: the pieces of ``model._PixelRowsNorm``'s backward timed alone on the CPU, float32, channels-last layers
of 768x512 and 384x256: torch's column sum of the (pixels, C) matrix against ``model._column_sums`` ((pixels / 8, 8 C)
rows, the eight folded), and torch's channels-last batch-norm backward against ``_PixelRowsNorm``'s. Medians of 10.

    OMP_NUM_THREADS=2 python samples/perf-cpu/column_sums.py      (column_sums.txt)"""
import statistics
import sys
import time

import torch
import torch.nn.functional as F

from ddcodec import fit, model


def _ms(call, repeats: int = 10) -> float:
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def width_sweep() -> tuple[int, int, list[int]]:
    """(height, width, channel counts) from ``HxW C,C,... [THREADS]`` on the command line (norm_widths.py,
    upsample_widths.py), torch's threads (2 unless given) and the encoder's allocator settings set."""
    height, width = map(int, sys.argv[1].split("x"))
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    fit.tune_allocator()
    return height, width, [int(c) for c in sys.argv[2].split(",")]


def main() -> None:
    torch.set_num_threads(2)
    fit.tune_allocator()
    model.ROWS_NORM_MIN_THREADS = 1
    for c, h, w in ((72, 512, 768), (21, 256, 384)):
        x = torch.randn(1, c, h, w).contiguous(memory_format=torch.channels_last)
        grad = torch.randn(1, c, h, w).contiguous(memory_format=torch.channels_last)
        rows = x.permute(0, 2, 3, 1).reshape(-1, c)
        scale, shift = torch.ones(c), torch.zeros(c)
        times = [_ms(lambda: rows.sum(dim=0)), _ms(lambda: model._column_sums(rows))]
        for norm in (lambda *a: F.batch_norm(a[0], None, None, *a[1:], training=True, eps=model.NORM_EPS),
                     model._PixelRowsNorm.apply):
            inputs = [t.clone().requires_grad_() for t in (x, scale, shift)]
            y = norm(*inputs)
            times.append(_ms(lambda: torch.autograd.grad(y, inputs, grad, retain_graph=True)))
        print(f"({h * w} x {c}): column sums torch {times[0]:.1f} / folded {times[1]:.1f} ms; "
              f"backward torch {times[2]:.1f} / rows {times[3]:.1f} ms")


if __name__ == "__main__":
    main()
