"""Session 55: very short fits with the default preset's out_gain 0.125 (1.30.0) against 1 (1.29.0's): a 36x30 test
image at k=8, 60 / 120 / 200 steps, the file's PSNR against its own image and against another, single-thread.

    OMP_NUM_THREADS=1 python samples/perf-cpu/out_gain_short_fits.py      (out_gain_short_fits.txt)

With the output conv at an eighth of the learning rate a fit starts slower (tests/test_batch.py's 24-step order check
needed its margin lowered) and catches up within a few hundred steps."""
import dataclasses
import sys
from pathlib import Path

import numpy as np

import ddcodec
from ddcodec.codec import PRESETS

sys.path.insert(0, str(Path(__file__).parents[2] / "tests"))
from conftest import smooth_image  # noqa: E402


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255 ** 2 / ((a.astype(float) - b.astype(float)) ** 2).mean()))


def main() -> None:
    other, image = smooth_image(30, 36, 3, seed=1), smooth_image(30, 36, 3, seed=2)
    for gain in (1.0, 0.125):
        schedule = dataclasses.replace(PRESETS["default"], out_gain=gain)
        for iters in (60, 120, 200):
            data, _ = ddcodec.encode(image, k=8, iters=iters, device="cpu", seed=4, preset=schedule)
            decoded = ddcodec.decode_pixels(data, device="cpu")
            print(f"out_gain {gain:g}, {iters} steps: {psnr(decoded, image):.2f} dB of its image, "
                  f"{psnr(decoded, other):.2f} of the other", flush=True)


if __name__ == "__main__":
    main()
