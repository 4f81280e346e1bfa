"""Anatomy of one fitting step: ``python -m ddcodec.stepbench --device cuda [--size 768x512] [--widths 33,77]``.

Times one step (forward, backward, Adam) of a Deep Decoder in several ways: launched op by op,
with and without the host reading the loss every step (as the fit did up to commit ce9be94),
with the per-tensor and the fused Adam, at full and half size; on CUDA also captured once as a
CUDA graph and replayed, and ``--profile`` prints the kernels that take the GPU's time. Where a
step is bound by the host launching kernels, graphs and fused kernels pay; where it is bound
by the GPU, only less GPU work does. ``bench.py`` times whole encodes; this explains them.
"""
from __future__ import annotations

import argparse
import time
from typing import Callable

import torch

from .codec import resolve_device
from .fit import GRAPH_WARMUP, capture_step, per_image_mse, tune_allocator
from .model import BatchedDeepDecoder, DeepDecoder, coarse_size, tf32_matmuls
from .presets import DEFAULT_DEPTH


def _model_and_target(height: int, width: int, net_width: int, batch: int, coarse: int, device: torch.device,
                      depthwise: int = 0, widths: tuple[int, ...] = ()):
    nets = [DeepDecoder(height, width, 3, net_width, DEFAULT_DEPTH, seed, depthwise=depthwise, widths=widths)
            for seed in range(batch)]
    model = (nets[0] if batch == 1 else BatchedDeepDecoder(nets)).to(device)
    size = coarse_size(model.sizes, coarse) if coarse else (height, width)
    return model, torch.rand(batch, 3, *size, device=device)


def _step(model: torch.nn.Module, target: torch.Tensor, opt: torch.optim.Optimizer, coarse: int,
          read_loss: bool = False, bf16: bool = False) -> torch.Tensor:
    """One step as the fit takes it (each image's MSE summed, TF32 matrix products allowed), gradients
    already cleared; the losses. ``read_loss``: the host reads them before the backward pass, as the fit
    did up to ce9be94; ``bf16``: the forward under CPU bfloat16 autocast, as FitSchedule.bf16 fits."""
    with tf32_matmuls(True):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            losses = per_image_mse(model, target, None, coarse=coarse)  # the fit's loss
        if read_loss:
            losses.detach().double().cpu()
        losses.sum().backward()
        opt.step()
    return losses


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _time(step: Callable[[], None], device: torch.device, steps: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        step()
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    return 1000 * (time.perf_counter() - start) / steps


def eager_ms(height: int, width: int, net_width: int, device: torch.device, steps: int, *, batch: int = 1,
             coarse: int = 0, read_loss: bool = False, fused: bool = False, depthwise: int = 0,
             bf16: bool = False, widths: tuple[int, ...] = ()) -> float:
    """Milliseconds per step launched op by op; ``read_loss``: the host reads the losses every step;
    ``depthwise``: the network's kernels (a format.weight_shapes mask); ``bf16``: under CPU bfloat16 autocast;
    ``widths``: the hidden layers' own widths (format version 3). On a CPU glibc keeps freed memory, as an encode
    has it (``fit.tune_allocator``): else every layer over its 32 MiB mmap threshold is mapped afresh each step
    and faults in again, which made full-size steps take twice as long as inside a fit (session 51)."""
    if device.type == "cpu":
        tune_allocator()
    model, target = _model_and_target(height, width, net_width, batch, coarse, device, depthwise, widths)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, fused=fused or None)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        _step(model, target, opt, coarse, read_loss, bf16)
    return _time(step, device, steps)


def graphed_ms(height: int, width: int, net_width: int, steps: int, *, batch: int = 1, coarse: int = 0,
               depthwise: int = 0) -> float:
    """Milliseconds per step captured once as a CUDA graph and replayed (fused, capturable Adam)."""
    device = torch.device("cuda")
    model, target = _model_and_target(height, width, net_width, batch, coarse, device, depthwise)
    opt = torch.optim.Adam(model.parameters(), lr=torch.tensor(0.01, device=device), fused=True, capturable=True)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(GRAPH_WARMUP):
            opt.zero_grad(set_to_none=True)
            _step(model, target, opt, coarse)
    torch.cuda.current_stream().wait_stream(side)
    graph, _ = capture_step(opt, lambda: _step(model, target, opt, coarse))  # the fit's own capture
    if graph is None:
        raise RuntimeError("CUDA graph capture failed")
    return _time(graph.replay, device, steps)


def run(device: torch.device, height: int, width: int, widths: list[int], steps: int, batch: int) -> list[tuple[str, float]]:
    """(variant, ms per step per image) rows."""
    rows = []
    for w in widths:
        for coarse in (False, True):
            size = "half" if coarse else "full"
            args = (height, width, w, device, steps)
            rows.append((f"w{w} {size} eager", eager_ms(*args, coarse=coarse)))
            rows.append((f"w{w} {size} eager, loss read every step", eager_ms(*args, coarse=coarse, read_loss=True)))
            rows.append((f"w{w} {size} eager, fused Adam", eager_ms(*args, coarse=coarse, fused=True)))
            if device.type == "cuda":
                rows.append((f"w{w} {size} CUDA graph", graphed_ms(height, width, w, steps, coarse=coarse)))
        if batch > 1:
            rows.append((f"w{w} full eager, {batch} batched", eager_ms(height, width, w, device, steps, batch=batch) / batch))
            if device.type == "cuda":
                rows.append((f"w{w} full CUDA graph, {batch} batched",
                             graphed_ms(height, width, w, steps, batch=batch) / batch))
    return rows


def profile_table(height: int, width: int, net_width: int, steps: int = 10, rows: int = 15) -> str:
    """torch.profiler's kernels of ``steps`` full-size CUDA steps, by total GPU time."""
    from torch.profiler import ProfilerActivity, profile

    device = torch.device("cuda")
    model, target = _model_and_target(height, width, net_width, 1, False, device)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, fused=True)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        _step(model, target, opt, coarse=False)
    for _ in range(3):
        step()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
    return prof.key_averages().table(sort_by="cuda_time_total", row_limit=rows, max_name_column_width=60)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ddcodec.stepbench", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--size", default="768x512", help="WxH of the fitted image")
    parser.add_argument("--widths", default="33,77", help="network widths (768x512: 33 is 0.125 bpp, 77 is k=32)")
    parser.add_argument("--steps", type=int, default=50, help="timed steps per variant")
    parser.add_argument("--batch", type=int, default=8, help="images fitted together for the batched rows (1: skip)")
    parser.add_argument("--profile", action="store_true", help="also print the profiler's top kernels (CUDA)")
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    width, height = (int(v) for v in args.size.lower().split("x"))
    widths = [int(w) for w in args.widths.split(",")]
    for name, ms in run(device, height, width, widths, args.steps, args.batch):
        print(f"{name:>40}  {ms:8.3f} ms/step per image")
    if args.profile and device.type == "cuda":
        print(profile_table(height, width, widths[-1]))


if __name__ == "__main__":
    main()
