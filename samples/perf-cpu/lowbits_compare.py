"""Session 27: progressive rounding at 6 and 5 bits, and 6-bit weights (a wider network at the same rate) against the
precision rate control picks, from hessian_round_compare.py's outputs (runs with ``BITS=6`` or ``5`` beside runs
without it; main fits saved per plan, so the variants of one plan share theirs).

    python samples/perf-cpu/lowbits_compare.py [OUTPUT...]   (default: lowbits_progressive_*.txt in this folder)

For each image size and rate it prints every (precision, variant) against the same precision rounded the 1.9.0
default's way (progressive, 25 steps per layer at lr 1e-4), then, for images fitted at several precisions, against
the highest one measured (rate control's pick: 7 bits at 0.5 bpp; at 0.125 bpp 6 bits is its pick and the only one
run), rounded that way. Differences are at equal rate along the local slope of a saved 12-image RD sweep at that size (0.25 to
0.5 bpp), so the files' sizes, which differ by a few tenths of a percent, are accounted for.
"""
import math
import statistics as st
import sys
from pathlib import Path

from paired import FOLDER, local_slope, se, split_runs, sweep

DEFAULT = "progressive 25 lr 0.0001"
SWEEPS = {"384x256": "rd-kodak-384x256-1.4.0", "768x512": "rd-kodak-768x512"}


def read(paths: list[Path]) -> dict:
    """(size, bpp) -> image -> bits -> variant -> {psnr, bpp, seconds}, over all ``paths``."""
    runs: dict = {}
    for path in paths:
        for key, images in split_runs(path.resolve(), by_bits=True).items():
            for image, precisions in images.items():
                for bits, variants in precisions.items():
                    runs.setdefault(key, {}).setdefault(image, {}).setdefault(bits, {}).update(variants)
    return runs


def slope_at(size: str) -> float:
    """dB per doubling of rate between the 0.25 and 0.5 bpp means of a saved 12-image sweep at ``size``."""
    lower, upper = sweep(SWEEPS[size], "bpp=0.25"), sweep(SWEEPS[size], "bpp=0.5")
    return local_slope(lower, upper, sorted(set(lower) & set(upper)))


def report(paired: dict, slope: float, base_bits) -> None:
    """One line per (precision, variant): its mean difference at equal rate against each image's base run, the
    DEFAULT variant at ``base_bits(image's precisions, this precision)``, and the difference per image."""
    variants = sorted({(bits, v) for b in paired.values() for bits, vs in b.items() for v in vs})
    for bits, variant in variants:
        have = [i for i in sorted(paired) if variant in paired[i].get(bits, {})]
        diffs, cells = [], []
        for image in have:
            base = paired[image][base_bits(paired[image], bits)][DEFAULT]
            new = paired[image][bits][variant]
            diffs.append(new["psnr"] - base["psnr"] - slope * math.log2(new["bpp"] / base["bpp"]))
            cells.append(f"{image[:-4]} {diffs[-1]:+.3f}")
        spread = f" (SE {se(diffs):.3f})" if len(diffs) > 1 else ""
        print(f"    {bits} bits, {variant:<26} {st.mean(diffs):+.3f}{spread}, {sum(d > 0 for d in diffs)} of "
              f"{len(diffs)} better: {', '.join(cells)}")


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or sorted(FOLDER.glob("lowbits_progressive_*.txt"))
    for (size, rate), images in sorted(read(paths).items()):
        slope = slope_at(size)
        print(f"{size}, {rate} bpp (equal rate at {slope:.2f} dB per doubling)")
        same = {i: b for i, b in images.items() if all(DEFAULT in v for v in b.values())}
        print(f"  against the same precision rounded the 1.9.0 default's way ({DEFAULT}):")
        report(same, slope, lambda runs, bits: bits)
        top = {i: b for i, b in same.items() if len(b) > 1}
        if top:
            print("  against the highest precision measured for the image (rate control's pick), rounded that way:")
            report(top, slope, lambda runs, bits: max(runs))


if __name__ == "__main__":
    main()
