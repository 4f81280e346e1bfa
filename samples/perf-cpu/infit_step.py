"""Session 51: milliseconds per step inside a real encode, by stage (timed by its progress callback), to check stepbench.

An image at full size, --bpp 0.25, the default preset with ITERS steps (a quarter each at quarter and half size, then
full size). Session 51 ran it single-thread, one other process beside it (result in taper_step.txt's last header):
    OMP_NUM_THREADS=1 python samples/perf-cpu/infit_step.py ../shared/data/kodak/kodim01.png 120
"""
import statistics as st
import sys
import time

import numpy as np
from PIL import Image

import ddcodec


def main() -> None:
    image = np.asarray(Image.open(sys.argv[1]).convert("RGB"))
    iters = int(sys.argv[2]) if len(sys.argv) > 2 else 120
    times: list[float] = []
    data, _ = ddcodec.encode(image, bpp=0.25, iters=iters, device="cpu",
                             progress=lambda done, total, db: times.append(time.perf_counter()))
    d = np.diff(times)
    q = iters // 4
    header = ddcodec.read_header(data)
    print(f"width {header.net_width}, depth {header.depth}; ms per step inside the fit: quarter "
          f"{1000 * st.median(d[2:q - 1]):.0f}, half {1000 * st.median(d[q + 1:2 * q - 1]):.0f}, full "
          f"{1000 * st.median(d[2 * q + 1:iters - 1]):.0f}")


if __name__ == "__main__":
    main()
