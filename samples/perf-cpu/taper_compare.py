"""Session 50: tapered widths (``FitSchedule.taper``, format version 3), the default preset's whole encode.

Widths falling linearly from the first hidden layer to the last (session 49's architecture screen found them better per
second with its compact fit). Single-thread encodes, two at a time, on 2 cores of an AMD EPYC Zen 4::

    OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size 384x256 --config bpp=0.25,taper=54 \
        --config bpp=0.25,taper=54,iters=3300      (output: taper_54_384x256.txt; taper=75: taper_75_384x256.txt)
    OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size full --config bpp=0.25,taper=54,seed=1 \
        (output: taper_768x512.txt, with bpp=0.5,taper=54,seed=1 and one image each of iters=2500 and 3300)

The default without taper: at 384x256 session 48's seed screen (seed_prefix_384x256.jsonl) and session 49's
iters=2700 (step_budget_384x256.txt), at 768x512 session 48's quiet seed-1 encodes (seed_prefix_768x512.jsonl) and
session 49's at 0.5 bpp (step_budget_768x512.txt): the same encoder's files, which single-thread fits repeat exactly on
this CPU kind. Equal rate along the 1.18.0 sweeps' slopes. Run from the repository root:
python samples/perf-cpu/taper_compare.py"""
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import (FOLDER, compare_per_image, equal_rate, fullsize_1_18_0_at_half, load, local_slope,  # noqa: E402
                    read_results, rounding_cost, sweep, sweep_slope)
from step_budget_compare import FULL, SMALL, seed_rows  # noqa: E402


NAMES = ["taper_54_384x256.txt", "taper_75_384x256.txt"]


def better(diffs: list[float]) -> None:
    """How many images gained at equal rate (``compare``'s own count is of the plain PSNR differences)."""
    print(f"  better at equal rate: {sum(d > 0 for d in diffs)} of {len(diffs)}")


def screen(name: str) -> dict[str, dict[str, dict]]:
    """config -> image -> row of one saved screen output (several configs in one file)."""
    out: dict[str, dict[str, dict]] = {}
    for r in read_results((FOLDER / name).read_text().splitlines()):
        out.setdefault(r["config"], {})[r["image"]] = r
    return out


def main() -> None:
    slope = sweep_slope(SMALL, 0.25)
    seeds = seed_rows("seed_prefix_384x256.jsonl")
    longer = {0: load("step_budget_384x256.txt", "bpp=0.25,iters=2700"),
              1: load("step_budget_384x256.txt", "bpp=0.25,iters=2700,seed=1")}
    print(f"384x256, 0.25 bpp, equal rate along {slope:.2f} dB per doubling")
    for name in NAMES:
        if not (FOLDER / name).exists():
            continue
        rows = screen(name)
        for config, taper in rows.items():
            seed = 1 if "seed=1" in config else 0
            if len(taper) < 2:  # a control: its image alone
                image = next(iter(taper))
                diff = equal_rate(seeds[seed], taper, slope, [image])[0]
                print(f"{name} {config}: {image} {taper[image]['psnr']:.2f} dB at {taper[image]['bpp']:.4f} bpp, the "
                      f"default {seeds[seed][image]['psnr']:.2f} at {seeds[seed][image]['bpp']:.4f}: {diff:+.3f} dB at "
                      f"equal rate")
                continue
            better(compare_per_image(f"{name} {config} against the default, seed {seed}", seeds[seed], taper, slope))
            images = sorted(taper)
            print(f"  rounding cost {rounding_cost(seeds[seed], images):.3f} -> {rounding_cost(taper, images):.3f} dB; "
                  f"encode {st.mean(taper[i]['seconds'] for i in images):.0f} s (the default's "
                  f"{st.mean(seeds[seed][i]['seconds'] for i in images):.0f} s, session 48)")
            if "iters=3300" in config:  # about the time of session 49's 2,700 steps without taper (+23%)
                better(compare_per_image(f"{name} {config} against iters=2700, seed {seed}", longer[seed], taper, slope))
                print(f"  encode {st.mean(taper[i]['seconds'] for i in images):.0f} s against iters=2700's "
                      f"{st.mean(longer[seed][i]['seconds'] for i in images):.0f} s (session 49)")


def full_size(name: str = "taper_768x512.txt") -> None:
    """768x512, seed 1, against session 48's quiet seed-1 encodes of the default at 0.25 bpp (seed_prefix_768x512.jsonl)
    and session 49's at 0.5 bpp (step_budget_768x512.txt), with their times: both ran two at a time, single-thread."""
    rows = screen(name)
    base = {0.25: seed_rows("seed_prefix_768x512.jsonl")[1], 0.5: load("step_budget_768x512.txt", "bpp=0.5,seed=1")}
    half = fullsize_1_18_0_at_half()
    slopes = {0.25: local_slope(sweep(FULL, "bpp=0.125"), sweep(FULL, "bpp=0.25"), sorted(sweep(FULL, "bpp=0.25"))),
              0.5: local_slope(sweep(FULL, "bpp=0.25"), half, sorted(half))}
    for config, tapered in rows.items():
        bpp = float(config.split(",")[0].split("=")[1])
        images = sorted(set(tapered) & set(base[bpp]))
        label = f"768x512 {config} against the default, seed 1 ({slopes[bpp]:.2f} dB per doubling)"
        if len(images) > 1:
            better(compare_per_image(label, base[bpp], tapered, slopes[bpp]))
            print(f"  rounding cost {rounding_cost(base[bpp], images):.3f} -> {rounding_cost(tapered, images):.3f} dB")
        else:
            print(f"{label}: " + " ".join(f"{i[:-4]} {equal_rate(base[bpp], tapered, slopes[bpp], [i])[0]:+.3f} dB at "
                                         f"equal rate" for i in images))
        print("  time " + " ".join(f"{i[:-4]} {base[bpp][i]['seconds']:.0f} -> {tapered[i]['seconds']:.0f} s "
                                   f"({tapered[i]['seconds'] / base[bpp][i]['seconds'] - 1:+.0%})" for i in images))


if __name__ == "__main__":
    main()
    full_size()
