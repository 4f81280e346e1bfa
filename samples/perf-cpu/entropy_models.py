"""Would an entropy coder of our own beat zstd on the quantised weights? (issue 4's packing lever; session 63)

For each .ddc file: the bytes zstd packs the codes into, and what coders with a better model of the codes could reach
at best, each model's side information counted where a coder would have to send it:

- ``order-0``: the order-0 entropy of all codes together (what zstd's Huffman stage approaches; `ddcodec info --stats`)
- ``by kind``: one empirical histogram per kind of tensor (hidden convs, norm scales, norm shifts, kernels, output
  conv), the histograms' own cost not counted: a lower bound for per-kind static tables
- ``Laplace``: one discretised Laplace per tensor over the codes' range, its scale the best of 200 (1 byte sent each;
  a tensor of one repeated code, as the fixed norm scales are, costs that byte only)
- ``adaptive``: an adaptive order-0 coder per kind (Krichevsky-Trofimov counts: nothing sent, it learns as it goes);
  the exact cost of coding the sequence, computed in closed form

Usage: python samples/perf-cpu/entropy_models.py FILE.ddc [...]
"""
from __future__ import annotations

import math
import sys

from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from paired import file_codes  # noqa: E402

from ddcodec.format import compress_codes, qmax  # noqa: E402


def empirical_bits(codes: np.ndarray) -> float:
    """The codes' order-0 entropy times their number: what an ideal static coder with free tables would take."""
    _, counts = np.unique(codes, return_counts=True)
    p = counts / counts.sum()
    return float(-(counts * np.log2(p)).sum())


def laplace_bits(codes: np.ndarray, largest: int) -> float:
    if np.all(codes == codes[0]):  # the fixed norm scales: one code, sent once
        return 8.0
    values = np.arange(-largest, largest + 1)
    best = math.inf
    for scale in np.geomspace(0.5, 200.0, 200):
        p = np.exp(-np.abs(values) / scale)
        p /= p.sum()
        best = min(best, float(-np.log2(p[codes + largest]).sum()))
    return best + 8


def adaptive_bits(codes: np.ndarray, largest: int) -> float:
    """-log2 of the KT estimator's probability of the sequence (it does not depend on the order)."""
    alphabet = 2 * largest + 1
    counts = np.bincount(codes + largest, minlength=alphabet)
    log_p = sum(math.lgamma(n + 0.5) - math.lgamma(0.5) for n in counts)
    log_p -= math.lgamma(codes.size + alphabet / 2) - math.lgamma(alphabet / 2)
    return -log_p / math.log(2)


def main(paths: list[str]) -> None:
    columns = ("zstd", "order-0", "by kind", "Laplace")
    print(f"{'file':34} {'weights':>7} " + " ".join(f"{c:>7}" for c in columns) + f" {'adaptive':>8}  (bytes)")
    for path in paths:
        header, tensors = file_codes(path)
        q = np.concatenate([part for _, part in tensors])
        largest = qmax(header.bits)
        kinds: dict[str, list[np.ndarray]] = {}
        for name, part in tensors:
            kinds.setdefault(name.rstrip("0123456789"), []).append(part)
        laplace = sum(laplace_bits(part, largest) for _, part in tensors)
        grouped = [np.concatenate(parts) for parts in kinds.values()]
        row = (q.size, len(compress_codes(q, header.bits)) * 8, empirical_bits(q),
               sum(empirical_bits(g) for g in grouped), laplace, sum(adaptive_bits(g, largest) for g in grouped))
        cells = " ".join(f"{b / 8:7.0f}" for b in row[1:5])
        print(f"{path.split('/')[-1]:34} {row[0]:7d} {cells} {row[5] / 8:8.0f}")
        per_code = ", ".join(f"{kind} {abs(empirical_bits(g)) / g.size:.2f}" for kind, g in zip(kinds, grouped))
        print(f"  order-0 entropy per code, by kind (bits of {header.bits}): {per_code}")


if __name__ == "__main__":
    main(sys.argv[1:])
