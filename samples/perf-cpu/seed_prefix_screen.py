"""Does a fit's start tell which seed will end best? Screen for picking the seed after a short prefix.

``--tries N`` fits N seeds in full and keeps the best file: N times the encode time. If the PSNR a fit reaches by the
end of its quarter-size stage (or its half-size one) ranked seeds as their finished files rank, an encoder could run
only those cheap stages for several seeds and finish the best one. This records, per (image, seed), the main fit's
PSNR at every step (what ``codec.encode``'s progress reports: at reduced size the current step's PSNR at that size, at
full size the best so far) with the decoded file's PSNR and rate, one JSON line per encode::

    OMP_NUM_THREADS=1 python samples/perf-cpu/seed_prefix_screen.py run KODAK/kodim01.png --size 384x256 \\
        --bpp 0.25 --seed 2 >> seed_prefix_384x256.jsonl
    python samples/perf-cpu/seed_prefix_screen.py summarize seed_prefix_384x256.jsonl

(the saved outputs in samples/perf-cpu/ went through ``compact``, which keeps only the steps ``summarize`` reads).

``summarize`` compares, per image, the seed each rule would pick with the mean over the seeds fitted (what one
arbitrary seed gives on average) and with the best of them (``--tries``' oracle).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from PIL import Image

from ddcodec import codec
from ddcodec.ablation import oriented

WINDOW = 25  # a reduced-size stage's PSNR: its best over its last WINDOW steps (single steps jump about under Adam)


def run(image_path: Path, size: str, bpp: float, seed: int) -> dict:
    image = Image.open(image_path).convert("RGB")
    if size != "full":
        w, h = (int(v) for v in size.lower().split("x"))
        image = image.resize(oriented((w, h), image.size), Image.LANCZOS)
    trace: list[float] = []
    clock: list[float] = []  # seconds since the encode began, at each of the main fit's steps
    t0 = time.perf_counter()

    def progress(done: int, total: int, psnr: float) -> None:
        if done == len(trace) + 1:  # the main fit's steps come first, one report each on a CPU
            trace.append(round(psnr, 4))
            clock.append(time.perf_counter() - t0)

    _, result = codec.encode(image, bpp=bpp, seed=seed, progress=progress)
    schedule = codec.PRESETS["default"]
    quarter = round(schedule.iters * schedule.quarter_fraction)
    half = round(schedule.iters * (schedule.quarter_fraction + schedule.coarse_fraction))
    return {"image": image_path.name, "size": size, "bpp_target": bpp, "seed": seed, "width": result.width,
            "bits": result.bits, "bpp": result.bpp, "float_psnr": result.float_psnr, "psnr": result.psnr,
            "seconds": round(time.perf_counter() - t0, 1), "iters": schedule.iters,
            "quarter": quarter, "half": half,
            # seconds at the ends of the quarter-size stage, the half-size stage and the main fit
            "stage_seconds": [round(clock[i - 1], 1) for i in (quarter, half, schedule.iters)],
            "trace": trace[:schedule.iters]}


def stage_psnr(row: dict, end: int) -> float:
    """The PSNR the fit had reached by step ``end``: the best of the WINDOW steps before it."""
    if "trace" in row:
        return max(row["trace"][end - WINDOW:end])
    return max(row["windows"][str(end)])


def compact(row: dict) -> dict:
    """The row with only the steps ``summarize`` reads (the WINDOW before each rule's step) instead of the whole trace:
    the saved outputs stay small."""
    out = {k: v for k, v in row.items() if k != "trace"}
    out["windows"] = {str(end): row["trace"][end - WINDOW:end]
                      for end in (row["quarter"], row["half"], row["half"] + 100)}
    return out


def summarize(rows: list[dict]) -> None:
    report_time(rows)
    by_image: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_image[row["image"]].append(row)
    rules = {"quarter": ("the quarter-size stage's end", lambda r: stage_psnr(r, r["quarter"])),
             "half": ("the half-size stage's end", lambda r: stage_psnr(r, r["half"])),
             "half+100": ("100 full-size steps later", lambda r: stage_psnr(r, r["half"] + 100)),
             "float": ("the float fit (the whole main fit)", lambda r: r["float_psnr"])}
    seeds = sorted({r["seed"] for r in rows})
    print(f"{len(by_image)} images, seeds {seeds}; decoded PSNR of the seed each rule picks, against the mean over the "
          f"seeds (one arbitrary seed) and the best (--tries' oracle)")
    gains: dict[str, list[float]] = defaultdict(list)
    oracle, spread = [], []
    for name, group in sorted(by_image.items()):
        if len(group) < 2:
            continue
        mean = statistics.fmean(r["psnr"] for r in group)
        best = max(r["psnr"] for r in group)
        oracle.append(best - mean)
        spread.append(best - min(r["psnr"] for r in group))
        cells = []
        for rule, (_, key) in rules.items():
            pick = max(group, key=key)
            gains[rule].append(pick["psnr"] - mean)
            cells.append(f"{pick['psnr'] - mean:+.2f}")
        seed_of = {rule: max(group, key=key)["seed"] for rule, (_, key) in rules.items()}
        print(f"  {name:<12} n={len(group)} mean {mean:.2f} dB, spread {spread[-1]:.2f}; oracle {best - mean:+.2f} "
              f"(seed {max(group, key=lambda r: r['psnr'])['seed']}); "
              + ", ".join(f"{rule} {c} (seed {seed_of[rule]})" for rule, c in zip(rules, cells)))
    n = len(oracle)
    if n < 2:
        return

    def line(label: str, values: list[float]) -> str:
        se = statistics.stdev(values) / n ** 0.5
        return f"{label:<40} {statistics.fmean(values):+.3f} dB (SE {se:.3f}; {sum(v > 0 for v in values)} of {n} above the mean)"

    print(line("best of the seeds (oracle)", oracle))
    for rule, values in gains.items():
        print(line(f"picked by {rules[rule][0]}", values))
    print(f"mean spread (best - worst seed) {statistics.fmean(spread):.2f} dB")
    print("tries N (seeds 0 .. N-1, images with all of them): the half-size stage's pick and the oracle against the mean "
          "over every seed fitted; the pick's rate against that mean's")
    for tries in range(2, len(seeds) + 1):
        picked, best, rate, over_first = [], [], [], []
        for group in by_image.values():
            first = [r for r in group if r["seed"] < tries]
            if len(first) < tries:
                continue
            mean = statistics.fmean(r["psnr"] for r in group)
            pick = max(first, key=rules["half"][1])
            picked.append(pick["psnr"] - mean)
            over_first.append(pick["psnr"] - min(first, key=lambda r: r["seed"])["psnr"])
            best.append(max(r["psnr"] for r in first) - mean)
            rate.append(pick["bpp"] / statistics.fmean(r["bpp"] for r in group) - 1)
        if len(picked) >= 2:
            n = len(picked)
            print(f"  tries {tries}: {n} images, picked {statistics.fmean(picked):+.3f} dB "
                  f"(SE {statistics.stdev(picked) / n ** 0.5:.3f}; {sum(v > 0 for v in picked)} above the mean), "
                  f"oracle {statistics.fmean(best):+.3f}, rate {statistics.fmean(rate):+.2%}; against seed 0 alone "
                  f"{statistics.fmean(over_first):+.3f} (SE {statistics.stdev(over_first) / n ** 0.5:.3f})")
    print("  mean PSNR per seed over the images with every seed: " + ", ".join(
        f"seed {seed} {statistics.fmean(g_seed['psnr'] for g_seed in (next(r for r in g if r['seed'] == seed) for g in full)):.2f}"
        for full in [[g for g in by_image.values() if len(g) == len(seeds)]] for seed in seeds))


def report_time(rows: list[dict]) -> None:
    """The reduced-size stages' share of the encodes that recorded their stages' times."""
    timed = [r["stage_seconds"] for r in rows if "stage_seconds" in r]
    for r in rows:
        if "stage_seconds" in r:
            q, h, _ = r["stage_seconds"]
            print(f"  {r['image']:<12} seed {r['seed']}: reduced-size stages {h:.0f} of {r['seconds']:.0f} s "
                  f"({h / r['seconds']:.0%}; quarter {q:.0f} s)")
    if timed:
        q, h, m = (statistics.fmean(t[i] for t in timed) for i in range(3))
        total = statistics.fmean(r["seconds"] for r in rows if "stage_seconds" in r)
        print(f"time ({len(timed)} encodes): quarter-size stage {q:.0f} s, half-size stage {h - q:.0f} s, full-size "
              f"steps {m - h:.0f} s, rounding and packing {total - m:.0f} s; both reduced-size stages are "
              f"{h / total:.0%} of the encode")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("image", type=Path)
    r.add_argument("--size", default="384x256")
    r.add_argument("--bpp", type=float, default=0.25)
    r.add_argument("--seed", type=int, default=0)
    s = sub.add_parser("summarize")
    s.add_argument("files", nargs="+", type=Path)
    c = sub.add_parser("compact", help="print the rows of saved outputs with only the steps summarize reads")
    c.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "run":
        print(json.dumps(run(args.image, args.size, args.bpp, args.seed)), flush=True)
    elif args.command == "compact":
        for row in (json.loads(line) for f in args.files for line in f.read_text().splitlines() if line.strip()):
            print(json.dumps(compact(row) if "trace" in row else row))
    else:
        summarize([json.loads(line) for f in args.files for line in f.read_text().splitlines() if line.strip()])


if __name__ == "__main__":
    main(sys.argv[1:])
