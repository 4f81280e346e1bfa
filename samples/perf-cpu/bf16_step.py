"""Fitting-step time on the CPU with and without bfloat16 autocast (``FitSchedule.bf16``), alternating in one process.

    python samples/perf-cpu/bf16_step.py [ROUNDS] [WxH:WIDTH[:coarse] ...]

Each case builds the default network (kernels where ``--depthwise auto`` gives them) and times full fitting steps
(forward, the loss, backward, Adam) as the main fit takes them, ``ROUNDS`` rounds of float32 then bfloat16, four
timed steps each after two warm-up steps; it prints the median step of each. ``coarse``: the half-size steps of
the first half of the default preset's main fit. Output of one run: ``bf16_step.txt`` beside this file.
"""
from __future__ import annotations

import statistics
import sys
import time

import torch

from ddcodec.fit import per_image_mse, tune_allocator
from ddcodec.model import DeepDecoder, coarse_size
from ddcodec.presets import DEFAULT_DEPTH, DEPTHWISE_MIN_WIDTH
from ddcodec import format as fmt

DEFAULT_CASES = ["384x256:30", "384x256:45", "768x512:30", "768x512:45", "768x512:45:coarse", "768x512:66",
                 "768x512:66:coarse"]


def median_steps(width: int, height: int, net_width: int, coarse: bool, rounds: int) -> tuple[float, float]:
    kernels = fmt.all_layers(DEFAULT_DEPTH) if net_width >= DEPTHWISE_MIN_WIDTH else 0
    model = DeepDecoder(height, width, 3, net_width, DEFAULT_DEPTH, 0, depthwise=kernels)
    target = torch.rand(1, 3, *(coarse_size(model.sizes) if coarse else (height, width)))
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def step(bf16: bool) -> None:
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = per_image_mse(model, target, None, coarse=coarse).sum()
        loss.backward()
        opt.step()

    times: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(rounds):
        for bf16 in (False, True):
            for _ in range(2):
                step(bf16)
            for _ in range(4):
                start = time.perf_counter()
                step(bf16)
                times[bf16].append(1000 * (time.perf_counter() - start))
    return statistics.median(times[False]), statistics.median(times[True])


def main() -> None:
    tune_allocator()
    args = sys.argv[1:]
    rounds = int(args.pop(0)) if args and args[0].isdigit() else 3
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, {rounds} rounds of 4 steps each way")
    print(f"{'case':<20} {'float32 ms':>10} {'bf16 ms':>8} {'ratio':>6}")
    for case in args or DEFAULT_CASES:
        size, net_width, *rest = case.split(":")
        width, height = (int(v) for v in size.lower().split("x"))
        fp32, bf16 = median_steps(width, height, int(net_width), rest == ["coarse"], rounds)
        print(f"{case:<20} {fp32:>10.0f} {bf16:>8.0f} {bf16 / fp32:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
