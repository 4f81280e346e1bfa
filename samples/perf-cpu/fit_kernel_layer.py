"""Session 67: one full-size layer (72 x 768 x 512, channels-last, bfloat16 and float32) through the fit's C kernels
of 1.38.0 and through torch's ops in their place: the ReLU and normalisation (model.relu_norm with its gate open or
lifted) forward and backward, the bilinear doubling (model._upsample from 72 x 384 x 256) forward and backward, and
a copy of the layer for scale; medians of 9 after 3 warm-up runs, ms, 2 threads, the allocator tuned as the encoder
tunes it.

    OMP_NUM_THREADS=2 python samples/perf-cpu/fit_kernel_layer.py   (fit_kernel_layer.txt)
"""
import statistics
import time
from typing import Callable

import torch

from ddcodec import model
from ddcodec.fit import tune_allocator

OPEN = {"FUSED_NORM_MIN_VALUES": model.FUSED_NORM_MIN_VALUES,
        "FUSED_DOUBLING_MIN_VALUES": model.FUSED_DOUBLING_MIN_VALUES}


def median_ms(run: Callable[[], None]) -> float:
    for _ in range(3):
        run()
    times = []
    for _ in range(9):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def forward_backward(make: Callable[[], torch.Tensor], op: Callable[[torch.Tensor], torch.Tensor],
                     grad: torch.Tensor) -> tuple[float, float]:
    """Median ms of op's forward and of its backward (each timed on its own)."""
    inputs = make()

    def forward() -> torch.Tensor:
        return op(inputs.detach().requires_grad_())

    def backward() -> None:
        forward().backward(grad)

    f = median_ms(forward)
    return f, median_ms(backward) - f


def main() -> None:
    torch.set_num_threads(2)
    tune_allocator()
    gen = torch.Generator().manual_seed(0)
    last = torch.channels_last
    c, h, w = 72, 512, 768
    scale, shift = torch.rand(c, generator=gen) + 0.5, torch.randn(c, generator=gen)
    for dtype in (torch.bfloat16, torch.float32):
        layer = torch.randn(1, c, h, w, generator=gen).to(dtype).contiguous(memory_format=last)
        half = torch.randn(1, c, h // 2, w // 2, generator=gen).to(dtype).contiguous(memory_format=last)
        grad = torch.randn(1, c, h, w, generator=gen).to(dtype).contiguous(memory_format=last)
        copy = torch.empty_like(layer)
        line = [f"{str(dtype)[6:]}: copy of the layer {median_ms(lambda: copy.copy_(layer)):.1f} ms"]
        for name, gate, make, op in (
                ("ReLU + normalisation", "FUSED_NORM_MIN_VALUES", lambda: layer,
                 lambda x: model.relu_norm(x, scale, shift)),
                ("doubling", "FUSED_DOUBLING_MIN_VALUES", lambda: half,
                 lambda x: model._upsample(x, (h, w), "bilinear"))):
            times = {}
            for side, value in (("torch", 1 << 62), ("C", OPEN[gate])):
                setattr(model, gate, value)
                times[side] = forward_backward(make, op, grad)
            setattr(model, gate, OPEN[gate])
            line.append(f"{name} forward / backward: torch {times['torch'][0]:.1f} / {times['torch'][1]:.1f}, "
                        f"C {times['C'][0]:.1f} / {times['C'][1]:.1f} ms")
        print("; ".join(line), flush=True)


if __name__ == "__main__":
    main()
