"""Are the fitted 3x3 depthwise kernels separable? (session 63; a lead checked before building it)

A separable (rank-1) kernel, a column of 3 taps times a row of 3, would store 6 codes instead of 9: at full size and
0.125 bpp the kernels are 23% of a file's codes, so a third of them is 8% of the file, if the fit lost nothing by the
constraint. This prints, per layer of each .ddc file, the share of each kernel's energy (sum of squared taps) its best
rank-1 approximation keeps (the largest singular value squared over the sum of all three squared; 1: separable), as
the median and the 10th percentile over the layer's kernels, and how far the kernels are from point symmetry (the
median of |k - k rotated 180 degrees| summed over taps, over the sum of |k|; 0: symmetric). For scale it first prints
the same shares for 100,000 kernels of independent Gaussian taps (no structure at all).

Usage: python samples/perf-cpu/kernel_rank.py FILE.ddc [...]
"""
from __future__ import annotations

import sys

from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from paired import file_codes  # noqa: E402


def rank1_share(kernels: np.ndarray) -> np.ndarray:
    """Per kernel (N, 3, 3): its largest squared singular value over the sum of its squared singular values."""
    singular = np.linalg.svd(kernels, compute_uv=False) ** 2
    return singular[:, 0] / singular.sum(axis=1)


def main(paths: list[str]) -> None:
    noise = rank1_share(np.random.default_rng(0).standard_normal((100_000, 3, 3)))
    print(f"independent Gaussian taps: rank-1 share median {np.median(noise):.3f}, "
          f"10th percentile {np.percentile(noise, 10):.3f}")
    for path in paths:
        header, tensors = file_codes(path)
        print(f"{path.split('/')[-1]} (width {header.net_width}, depth {header.depth}):")
        for name, part in tensors:
            if not name.startswith("dw"):
                continue
            kernels = part.astype(np.float64).reshape(-1, 3, 3)
            kept = rank1_share(kernels)
            flipped = kernels[:, ::-1, ::-1]
            asymmetry = np.abs(kernels - flipped).sum(axis=(1, 2)) / np.abs(kernels).sum(axis=(1, 2))
            print(f"  {name}: rank-1 share median {np.median(kept):.3f}, "
                  f"10th percentile {np.percentile(kept, 10):.3f}; asymmetry median {np.median(asymmetry):.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
