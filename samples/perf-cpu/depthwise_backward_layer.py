"""Session 68: the depthwise backward on one full-size layer (C x 768 x 512, channels-last, bfloat16 and float32):
fused.depthwise_backward (C) against torch's convolution_backward with the ring's autograd (model._ReplicateDepthwise
with the C backward's gate closed); medians of 9 after 3 warm-up runs, ms, 2 threads, the allocator tuned as the
encoder tunes it. Widths under fused.BACKWARD_CHANNELS's least (45 since 1.38.1) time the C function though the
encoder leaves them to torch. 1.38.0's C kernel was timed by running this from a checkout of 1.38.0 (50dd8b9) with its
extension built in place (PYTHONPATH pointing at it).

    OMP_NUM_THREADS=2 python samples/perf-cpu/depthwise_backward_layer.py [WIDTH ...]   (depthwise_backward_layer.txt)
"""
import sys
from pathlib import Path

import torch

from ddcodec import fused, model
from ddcodec.fit import tune_allocator

sys.path.insert(0, str(Path(__file__).parent))
from fit_kernel_layer import median_ms  # noqa: E402


def torch_backward_ms(x: torch.Tensor, taps: torch.Tensor, grad: torch.Tensor) -> float:
    gate = fused.BACKWARD_CHANNELS
    fused.BACKWARD_CHANNELS = (1, 1 << 30)  # no layer passes: torch's path
    try:
        leaves = (x.detach().requires_grad_(), taps.detach().requires_grad_())
        out = model._ReplicateDepthwise.apply(*leaves)
        return median_ms(lambda: torch.autograd.grad(out, leaves, grad, retain_graph=True))
    finally:
        fused.BACKWARD_CHANNELS = gate


def main() -> None:
    torch.set_num_threads(2)
    tune_allocator()
    widths = [int(a) for a in sys.argv[1:]] or [72, 48, 45]
    gen = torch.Generator().manual_seed(0)
    last = torch.channels_last
    for dtype in (torch.bfloat16, torch.float32):
        for c in widths:
            x = torch.randn(1, c, 512, 768, generator=gen).to(dtype).contiguous(memory_format=last)
            grad = torch.randn(1, c, 512, 768, generator=gen).to(dtype).contiguous(memory_format=last)
            taps = (torch.randn(c, 3, 3, generator=gen) / 3).to(dtype)
            c_ms = median_ms(lambda: fused.depthwise_backward(x, grad, taps))
            print(f"{str(dtype)[6:]}, width {c}: C {c_ms:.1f} ms, torch {torch_backward_ms(x, taps, grad):.1f} ms",
                  flush=True)


if __name__ == "__main__":
    main()
