"""Session 53: float32 fitting steps on the CPU with torch's channels-last batch-norm backward and with
``model._PixelRowsNorm``'s (column sums over the layer's (pixels, C) rows), alternating in one process, four rounds.
The gates (``model.ROWS_NORM_MAX_CHANNELS`` and ``ROWS_NORM_MIN_THREADS``) are lifted for the "rows" rounds, so wide
layers and single threads are timed both ways too.

    OMP_NUM_THREADS=2 python samples/perf-cpu/rows_norm_step.py WxH WIDTH HALF [THREADS]   (rows_norm_step.txt)

HALF 1 times half-size steps (the last upsampling skipped), 0 full-size ones; networks 16 and wider have kernels."""
import sys
import time
from typing import Callable

import torch

from ddcodec import fit, format as fmt, model, stepbench
from ddcodec.presets import DEFAULT_DEPTH


def fit_step(width: int, height: int, net_width: int, coarse: int, bf16: bool = False) -> Callable[[], None]:
    """One float32 fitting step on the CPU as the fit takes it (``stepbench._step``; ``bf16``: under bfloat16
    autocast, as the fit takes it on CPUs with native bfloat16), of a fresh network (kernels from width 16), the
    allocator tuned as the encoder tunes it."""
    fit.tune_allocator()
    mask = fmt.all_layers(DEFAULT_DEPTH) if net_width >= 16 else 0
    net, target = stepbench._model_and_target(height, width, net_width, 1, coarse, torch.device("cpu"), depthwise=mask)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        stepbench._step(net, target, opt, coarse, bf16=bf16)

    return step


def alternating_ms(step: Callable[[], None], sides: dict[str, Callable[[], None]],
                   rounds: int = 4) -> dict[str, list[float]]:
    """Each side's ms per ``step``, alternating in one process: ``rounds`` rounds in which each side is set up (its
    callable), warmed up with two steps and timed over four."""
    ms: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, setup in sides.items():
            setup()
            step()
            step()
            start = time.perf_counter()
            for _ in range(4):
                step()
            ms[name].append((time.perf_counter() - start) / 4 * 1000)
    return ms


def main() -> None:
    width, height = map(int, sys.argv[1].split("x"))
    net_width, coarse = int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 2)
    model.ROWS_NORM_MIN_THREADS = 1  # on one thread too: the comparison, not the encoder's choice
    step = fit_step(width, height, net_width, coarse)
    times: dict[str, list[float]] = {"torch": [], "rows": []}
    for _ in range(4):
        for name, channels in (("torch", 0), ("rows", 1 << 20)):
            model.ROWS_NORM_MAX_CHANNELS = channels
            for _ in range(2):
                step()
            n = 3 if width * height >= 300000 and not coarse else 5
            start = time.perf_counter()
            for _ in range(n):
                step()
            times[name].append((time.perf_counter() - start) / n * 1000)
    medians = {name: sorted(t)[len(t) // 2] for name, t in times.items()}
    change = medians["rows"] / medians["torch"] - 1
    print(f"{sys.argv[1]} width {net_width} {'half' if coarse else 'full'}-size: "
          + "; ".join(f"{name} " + " ".join(f"{t:.1f}" for t in ts) + " ms" for name, ts in times.items())
          + f"; medians {medians['torch']:.1f} -> {medians['rows']:.1f} ms ({change:+.1%})")


if __name__ == "__main__":
    main()
