"""Session 54: float32 full-size fitting steps on the CPU, one process per run (``rows_norm_step.py`` alternates the
two normalisations in one process, where each seemed to slow the other at times): "torch" with torch's batch norm at
every layer, "rows" with ``model._PixelRowsNorm`` at every layer of 2^20 values and more, whatever its width; the
median and each of N steps after two.

    OMP_NUM_THREADS=2 python samples/perf-cpu/rows_norm_fresh.py WxH WIDTH torch|rows [N]   (rows_norm_fresh.txt)

Run outside a checkout with PYTHONPATH=CHECKOUT to time another version (python puts the current folder first)."""
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
import ddcodec  # noqa: E402
from ddcodec import model  # noqa: E402
from rows_norm_step import fit_step  # noqa: E402


def main() -> None:
    width, height = map(int, sys.argv[1].split("x"))
    net_width, mode = int(sys.argv[2]), sys.argv[3]
    torch.set_num_threads(2)
    model.ROWS_NORM_MAX_CHANNELS = 0 if mode == "torch" else 1 << 20
    if hasattr(model, "ROWS_NORM_TORCH_MULTIPLE"):  # 1.29.0's gate; the width is the caller's choice here
        model.ROWS_NORM_TORCH_MULTIPLE = 1 << 20
    step = fit_step(width, height, net_width, 0)
    for _ in range(2):
        step()
    times = []
    for _ in range(int(sys.argv[4]) if len(sys.argv) > 4 else 8):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    median = sorted(times)[len(times) // 2]
    print(f"{ddcodec.__version__} {sys.argv[1]} width {net_width} {mode}: median {median:.1f} ms; "
          + " ".join(f"{t:.0f}" for t in times), flush=True)


if __name__ == "__main__":
    main()
