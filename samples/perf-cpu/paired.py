"""Sessions 17-18: shared by the scripts in this folder that compare saved ablation outputs image by image and
check --bpp's size model against them (imported from their folder; not a script itself). Reads the outputs with
ddcodec.ablation.read_results. Since session 23 also the set-up of the scripts that fit one image themselves
(``planned_network``)."""
import csv
import json
import math
import os
import re
import statistics as st
from pathlib import Path
from typing import Callable

import numpy as np

from ddcodec import codec, format as fmt
from ddcodec.ablation import read_results
from ddcodec.model import DeepDecoder
from ddcodec.ratecontrol import bytes_per_weight, predicted_bytes

FOLDER = Path(__file__).parent
DEPTH, CHANNELS = 6, 3  # every saved run used the default depth on RGB images
# a version-2 file's bytes around its payload: magic, fixed fields, steps, payload size, CRC (95)
HEADER_BYTES = len(fmt.MAGIC) + fmt.header_struct_size(2) + 4 * fmt.n_steps(DEPTH, CHANNELS) + 8


# Kodak's portrait photos among the 12. Before session 34 `python -m ddcodec.ablation --size 384x256` (or 192x128)
# squashed them to that landscape size, where the RD tool's --scale keeps them upright (256x384), so the saved
# ablation lines of these three are of other images than the sweeps' files. With PAIRED_LANDSCAPE_ONLY=1 in the
# environment, ``load`` and ``sweep`` leave them out: every script here then compares on the other nine.
PORTRAIT = ("kodim09.png", "kodim17.png", "kodim19.png")
LANDSCAPE_ONLY = bool(os.environ.get("PAIRED_LANDSCAPE_ONLY"))


def _kept(image: str) -> bool:
    return not (LANDSCAPE_ONLY and image in PORTRAIT)


def load(name: str, config: str) -> dict[str, dict]:
    """image -> its row, for one config of one saved output in this folder (empty if the file is missing)."""
    path = FOLDER / name
    lines = path.read_text().splitlines() if path.exists() else []
    return {r["image"]: r for r in read_results(lines) if r["config"] == config and _kept(r["image"])}


def sweep(folder: str, setting: str) -> dict[str, dict]:
    """image -> {bpp, psnr, seconds (the encode's)} of ddcodec's rows for one setting of a saved RD sweep in
    ``samples/``."""
    rows = csv.DictReader((FOLDER.parent / folder / "per_image.csv").open())
    return {r["image"]: {"bpp": float(r["bpp"]), "psnr": float(r["psnr"]), "seconds": float(r["encode_s"])}
            for r in rows if r["codec"] == "ddcodec" and r["setting"] == setting and _kept(r["image"])}


def cached_sweep(folder: str, setting: str) -> dict[str, dict]:
    """``sweep``'s rows read from a saved RD sweep's resume cache (its ``rd_cache.jsonl``) instead of its CSV: the
    points of a sweep still being extended, which the CSV (written when a run finishes) lacks."""
    path = FOLDER.parent / folder / "rd_cache.jsonl"
    records = [json.loads(line)["record"] for line in path.read_text().splitlines()] if path.exists() else []
    return {r["image"]: {"bpp": r["bpp"], "psnr": r["psnr"], "seconds": r["encode_s"]} for r in records
            if r["codec"] == "ddcodec" and r["setting"] == setting and _kept(r["image"])}


def mean(rows: dict[str, dict], key: str, images) -> float:
    """The mean of one field over the given images' rows."""
    return st.mean(rows[i][key] for i in images)


def rounding_cost(rows: dict[str, dict], images) -> float:
    """What rounding cost over ``images``: the mean float PSNR minus the mean decoded PSNR."""
    return mean(rows, "float_psnr", images) - mean(rows, "psnr", images)


def local_slope(lower: dict[str, dict], upper: dict[str, dict], images) -> float:
    """dB per doubling of rate between two rate points' means over ``images``: what equal-rate figures and
    readings at a fixed bpp move along."""
    return (mean(upper, "psnr", images) - mean(lower, "psnr", images)) / math.log2(
        mean(upper, "bpp", images) / mean(lower, "bpp", images))


def default_1_2_0(k: int) -> dict[str, dict]:
    """Version 1.2.0's default at 384x256 (the l1=0.0003 lines of session 16's weight_l1 files)."""
    return load(f"weight_l1_384x256_k{k}.txt", f"k={k},l1=0.0003")


def slopes() -> dict[int, float]:
    """The 1.2.0 default's local slope in dB per doubling of rate at k=168 / 84 / 32 (12-image means; at k=84 the
    mean of the slopes on either side)."""
    means = {k: [st.mean(r[key] for r in default_1_2_0(k).values()) for key in ("bpp", "psnr")] for k in (168, 84, 32)}
    side = {a: (means[b][1] - means[a][1]) / math.log2(means[b][0] / means[a][0]) for a, b in ((168, 84), (84, 32))}
    return {168: side[168], 84: (side[168] + side[84]) / 2, 32: side[84]}


def se(x: list[float]) -> float:
    """Standard error of the mean."""
    return st.stdev(x) / len(x) ** 0.5


def equal_rate(base: dict[str, dict], new: dict[str, dict], slope: float, images: list[str]) -> list[float]:
    """Per image, new's PSNR minus base's at equal rate: the difference minus ``slope`` (dB per doubling) times
    log2 of the rate ratio."""
    return [new[i]["psnr"] - base[i]["psnr"] - slope * math.log2(new[i]["bpp"] / base[i]["bpp"]) for i in images]


def compare(label: str, base: dict[str, dict], new: dict[str, dict], slope: float) -> None:
    """Print the means of both, the PSNR difference (standard error; images better) and the same at equal rate."""
    images = sorted(new)
    d = [new[i]["psnr"] - base[i]["psnr"] for i in images]
    e = equal_rate(base, new, slope, images)
    mb, mn = st.mean(base[i]["bpp"] for i in images), st.mean(new[i]["bpp"] for i in images)
    print(f"{label}: {len(images)} images, bpp {mb:.4f} -> {mn:.4f} ({mn / mb - 1:+.1%}), PSNR "
          f"{st.mean(base[i]['psnr'] for i in images):.2f} -> {st.mean(new[i]['psnr'] for i in images):.2f}, diff "
          f"{st.mean(d):+.3f} (SE {se(d):.3f}; {sum(x > 0 for x in d)} better), equal rate {st.mean(e):+.3f} "
          f"(SE {se(e):.3f}; slope {slope:.2f} dB per doubling)")


def compare_configs(name: str, base_config: str, new_config: str, label: str, k: int = 32) -> None:
    """``compare`` of two configs of one saved ablation output in this folder (their common images), then per image:
    the difference at equal rate, the float PSNR's, and the encode times' (at 384x256 with the 1.2.0 default's slope
    at ``k``). Session 29: what the compare scripts of sessions 28 and 29 printed, each written out alike before."""
    base, new = load(name, base_config), load(name, new_config)
    images = sorted(set(base) & set(new))
    slope = slopes()[k]
    compare(label, {i: base[i] for i in images}, {i: new[i] for i in images}, slope)
    print("  per image at equal rate: " + " ".join(f"{i[:-4]} {x:+.2f}" for i, x in
                                                   zip(images, equal_rate(base, new, slope, images))))
    print("  float PSNR: " + " ".join(f"{i[:-4]} {new[i]['float_psnr'] - base[i]['float_psnr']:+.2f}" for i in images))
    print("  means, float PSNR and rounding cost (float minus decoded): " + "; ".join(
        f"{mean(r, 'float_psnr', images):.2f} and {mean(r, 'float_psnr', images) - mean(r, 'psnr', images):.2f} dB"
        for r in (base, new)))
    before, after = mean(base, 'seconds', images), mean(new, 'seconds', images)
    print(f"  encode seconds (single thread, the other core busy): {before:.0f} -> {after:.0f} "
          f"({after / before - 1:+.0%}); per image " + " ".join(f"{i[:-4]} {new[i]['seconds'] / base[i]['seconds'] - 1:+.0%}" for i in images))


SWEEP_RATES = (0.125, 0.25, 0.5)  # the targets of every saved 384x256 RD sweep


def sweep_slope(folder: str, bpp: float) -> float:
    """A saved sweep's own dB per doubling of rate at one of its targets: the 12-image means' slope to the
    neighbouring targets (the mean of both sides where there are two)."""
    rows = {rate: sweep(folder, f"bpp={rate:g}") for rate in SWEEP_RATES}
    at = SWEEP_RATES.index(bpp)
    sides = [local_slope(rows[SWEEP_RATES[a]], rows[SWEEP_RATES[b]], sorted(rows[bpp]))
             for a, b in ((at - 1, at), (at, at + 1)) if 0 <= a and b < len(SWEEP_RATES)]
    return sum(sides) / len(sides)


def compare_to_sweep(name: str, config: str, folder: str, label: str) -> list[float]:
    """``compare`` of one config of a saved ablation output (``bpp=B,...``) against a saved sweep's files at that
    target, on their common images, at equal rate along the sweep's own slope; prints per image and returns the
    equal-rate differences. Single-thread CPU fits repeat exactly, so the sweep's files are the baseline's."""
    bpp = float(dict(kv.split("=") for kv in config.split(","))["bpp"])
    return compare_per_image(label, sweep(folder, f"bpp={bpp:g}"), load(name, config), sweep_slope(folder, bpp))


def compare_per_image(label: str, base: dict[str, dict], new: dict[str, dict], slope: float) -> list[float]:
    """``compare`` on the images both have, then each one's difference at equal rate (printed and returned)."""
    images = sorted(set(new) & set(base))
    compare(label, {i: base[i] for i in images}, {i: new[i] for i in images}, slope)
    diffs = equal_rate(base, new, slope, images)
    print("  per image at equal rate: " + " ".join(f"{i[:-4]} {x:+.2f}" for i, x in zip(images, diffs)))
    return diffs


def compare_and_summarize(label: str, base: dict[str, dict], new: dict[str, dict], slope: float) -> list[float]:
    """``compare_per_image``, then one line: images better at equal rate, the float PSNR's change, what rounding cost
    each side and each side's mean encode time (and the mean per-image change)."""
    images = sorted(set(new) & set(base))
    diffs = compare_per_image(label, base, new, slope)
    print(f"  better at equal rate: {sum(d > 0 for d in diffs)} of {len(diffs)}; float PSNR "
          f"{st.mean(new[i]['float_psnr'] - base[i]['float_psnr'] for i in images):+.3f} dB; rounding cost "
          f"{rounding_cost(base, images):.3f} -> {rounding_cost(new, images):.3f} dB; encode "
          f"{mean(base, 'seconds', images):.1f} -> {mean(new, 'seconds', images):.1f} s "
          f"({st.mean(new[i]['seconds'] / base[i]['seconds'] for i in images) - 1:+.1%} per image)")
    return diffs


def fullsize_1_1_0(target: float) -> tuple[dict[str, dict], float, float]:
    """Version 1.1.0's H100 sweep at full size (``samples/rd-kodak-768x512``) at 0.25 or 0.5 bpp: its rows there, its
    local slope between those two targets (dB per doubling of rate, for equal-rate figures) and its 12-image mean read
    at the target along that slope: what the full-size CPU encodes of later versions are paired with."""
    low, high = sweep("rd-kodak-768x512", "bpp=0.25"), sweep("rd-kodak-768x512", "bpp=0.5")
    rows = {0.25: low, 0.5: high}[target]
    every = sorted(rows)
    slope = local_slope(low, high, every)
    return rows, slope, mean(rows, "psnr", every) + slope * math.log2(target / mean(rows, "bpp", every))


def fullsize_1_3_1_at_eighth() -> dict[str, dict]:
    """Version 1.3.1's default at full size, 0.125 bpp: the twelve CPU encodes of session 18 (four of them the
    ``k=158,bits=7`` lines of fullsize_plans_1.3.0.txt, the same fit as its ``--bpp 0.125``)."""
    return {**load("fullsize_plans_1.3.0.txt", "k=158,bits=7"), **load("fullsize_0.125_1.3.1.txt", "bpp=0.125")}


def fullsize_1_18_0_at_half() -> dict[str, dict]:
    """Version 1.18.0's default at full size, 0.5 bpp: the twelve CPU encodes (sessions 38 and 39, in
    fullsize_0.5_1.18.0.txt; kodim03's from session 37's screen of the same settings, pinned)."""
    return {**load("rounding_stage_7bit_768x512.txt", "bpp=0.5,qnoise=0.08,prog=50,prog_lr=0.0003"),
            **load("fullsize_0.5_1.18.0.txt", "bpp=0.5")}


def fullsize_1_19_0() -> dict[float, dict[str, dict]]:
    """Version 1.19.0's default at full size, target bpp -> image -> row: session 40's depth-7 files at 0.125 bpp
    (1.19.0 takes depth 7 there; fits repeat exactly on one VM kind) and 1.18.0's sweep at 0.25 and 0.5 bpp, which
    1.19.0 encodes alike."""
    return {0.125: load("fullsize_depth7_1.18.0.txt", "bpp=0.125,depth=7"),
            0.25: sweep("rd-kodak-768x512-1.18.0-cpu", "bpp=0.25"), 0.5: fullsize_1_18_0_at_half()}


def fullsize_penalty_pairs() -> tuple[dict[str, dict], dict[str, dict]]:
    """The default (since 1.31.0) and weight_l1 0.0006 at full size, 0.25 bpp, on the 12 Kodak images, the best
    preset's two candidates: session 56's and 58's kodim01 and 03, sessions 59 to 61's pairs of the others."""
    default = load("lr_fullsize_0.25.txt", "bpp=0.25,lr=0.08,out_gain=0.09375")
    strong = load("weight_l1_0.0006_fullsize_0.25.txt", "bpp=0.25,l1=0.0006")
    for session in (59, 60, 61):
        pairs = f"weight_l1_0.0006_fullsize_0.25_s{session}.txt"
        default.update(load(pairs, "bpp=0.25,lr=0.08,out_gain=0.09375"))
        strong.update(load(pairs, "bpp=0.25,l1=0.0006"))
    return default, strong


def file_codes(path: str) -> tuple[fmt.DdcHeader, list[tuple[str, np.ndarray]]]:
    """A .ddc file's header and its integer codes tensor by tensor, in ``weight_shapes`` order (name, flat int64)."""
    header, q = fmt.decode_file(path)
    widths = tuple(header.layer_widths) if header.version >= 3 else ()
    shapes = fmt.weight_shapes(header.net_width, header.depth, header.channels, header.depthwise, widths)
    ends = np.cumsum([int(np.prod(shape)) for _, shape in shapes])
    parts = np.split(q.astype(np.int64), ends[:-1])
    return header, [(name, part) for (name, _), part in zip(shapes, parts)]


def best_files(candidates: list[dict[str, dict]], images, limit: float | None = None) -> dict[str, dict]:
    """image -> the row the best preset keeps among ``candidates`` (each image -> row, in the preset's order): the
    highest PSNR among the files within ``limit`` bpp (a --bpp target's size limit), or among all when none is; a tie
    keeps the earlier candidate, as ``codec._best_penalty`` does."""
    kept = {}
    for image in images:
        rows = [c[image] for c in candidates]
        within = [r for r in rows if limit is None or r["bpp"] <= limit]
        kept[image] = max(within or rows, key=lambda r: r["psnr"])
    return kept


def curve(folder: str, codec_name: str) -> dict:
    """One codec's mean RD curve (``bpp``, ``psnr-rgb``, ...) of a saved RD sweep in ``samples/``."""
    return json.loads((FOLDER.parent / folder / f"{codec_name}.json").read_text())["results"]


def mean_curve(rows: dict[float, dict[str, dict]], targets) -> tuple[list[float], list[float]]:
    """A sweep's mean curve: each target's mean bpp and mean PSNR over its images (``rows``: target -> image ->
    row)."""
    return ([mean(rows[t], "bpp", sorted(rows[t])) for t in targets],
            [mean(rows[t], "psnr", sorted(rows[t])) for t in targets])


def read_at(bpp: list[float], psnr: list[float], target: float) -> float:
    """A mean curve's PSNR at ``target``, linear in log(bpp) between its points (as the RD tool reads its tables),
    and along the end segment just past an end point (the files are up to 3% off their targets)."""
    x, y, t = np.log(bpp), np.asarray(psnr), math.log(target)
    i = int(np.clip(np.searchsorted(x, t) - 1, 0, len(x) - 2))
    return float(y[i] + (y[i + 1] - y[i]) * (t - x[i]) / (x[i + 1] - x[i]))


def files_summary(rows: dict[str, dict], target: float, read: float) -> str:
    """One rate's files in a line: how many, their mean bpp and how far each is off the target, their mean PSNR, the
    mean curve ``read`` at the target, and the encode times."""
    images = sorted(rows)
    off = [rows[i]["bpp"] / target - 1 for i in images]
    return (f"  {target:g} bpp: {len(images)} images, {mean(rows, 'bpp', images):.4f} bpp (files {min(off):+.1%} to "
            f"{max(off):+.1%} of the target), {mean(rows, 'psnr', images):.2f} dB, read at {target:g} bpp "
            f"{read:.2f} dB; encode {min(rows[i]['seconds'] for i in images):.0f} to "
            f"{max(rows[i]['seconds'] for i in images):.0f} s (mean {mean(rows, 'seconds', images):.0f})")


def curve_slope(bpp: list[float], psnr: list[float], at: int) -> float:
    """A mean curve's dB per doubling of rate at its point ``at``: the slope to each neighbouring point, the mean of
    both where there are two."""
    sides = [(psnr[b] - psnr[a]) / math.log2(bpp[b] / bpp[a])
             for a, b in ((at - 1, at), (at, at + 1)) if 0 <= a and b < len(bpp)]
    return sum(sides) / len(sides)


def table_row(label: str, bpp: list[float], psnr: list[float], targets: tuple[float, ...]) -> str:
    """One codec's mean PSNR read at each target, - where its curve does not reach it (the ends allowed 3% over)."""
    order = np.argsort(bpp)
    bpp, psnr = list(np.asarray(bpp)[order]), list(np.asarray(psnr)[order])
    return f"  {label:<28}" + "".join(f"{read_at(bpp, psnr, t):9.2f}" if bpp[0] / 1.03 <= t <= bpp[-1] * 1.03
                                      else f"{'-':>9}" for t in targets)


def compare_sweeps(old: str, new: str, slope_at: Callable[[float], float]) -> None:
    """Two saved RD sweeps at 384x256 (folders in ``samples/``, named ``rd-kodak-384x256-VERSION``), paired by image at
    each target (the same plans) at equal rate along ``slope_at(target)``, then BD-rate and BD-PSNR (pchip) over their
    points, the newer against the older and both against JPEG and JPEG 2000 (the newer sweep's classical curves).
    Session 34: what sweep_1.13.0_compare.py printed, for later sweeps too."""
    from ddcodec.rd.bd import bd_psnr, bd_rate

    names = old.rsplit("-", 1)[1], new.rsplit("-", 1)[1]
    for target in SWEEP_RATES:
        setting = f"bpp={target:g}"
        before, after = sweep(old, setting), sweep(new, setting)
        images = sorted(after)
        compare(f"{setting}: {names[1]} against {names[0]}", before, after, slope_at(target))
        diffs = equal_rate(before, after, slope_at(target), images)
        print("  per image at equal rate: " + " ".join(f"{i[:-4]} {x:+.2f}" for i, x in zip(images, diffs)))
        print(f"  encode seconds {mean(before, 'seconds', images):.0f} -> {mean(after, 'seconds', images):.0f}; "
              f"{names[1]}'s files {min(after[i]['bpp'] for i in images) / target - 1:+.1%} to "
              f"{max(after[i]['bpp'] for i in images) / target - 1:+.1%} of the target")

    a, b = curve(old, "ddcodec"), curve(new, "ddcodec")
    points = a["bpp"], a["psnr-rgb"], b["bpp"], b["psnr-rgb"]
    print(f"BD-rate {names[1]} against {names[0]} {bd_rate(*points, method='pchip'):+.1f}%, "
          f"BD-PSNR {bd_psnr(*points, method='pchip'):+.2f} dB")
    for anchor in ("jpeg", "jpeg2000"):
        c = curve(new, anchor)
        print(f"BD-rate against {anchor}: " + ", ".join(
            f"{name} {bd_rate(c['bpp'], c['psnr-rgb'], d['bpp'], d['psnr-rgb'], method='pchip'):+.1f}%"
            for name, d in zip(names, (a, b))))


def compare_versions(old: str, new: str, sizes: tuple[str, ...] = ("192x128", "384x256")) -> None:
    """``compare_sweeps`` of two versions' saved sweeps (``rd-kodak-SIZE-VERSION`` in ``samples/``) at each size that
    has both, along the older sweep's own slopes."""
    for size in sizes:
        before, after = f"rd-kodak-{size}-{old}", f"rd-kodak-{size}-{new}"
        if (FOLDER.parent / before).exists() and (FOLDER.parent / after).exists():
            print(f"== {size}")
            compare_sweeps(before, after, lambda target: sweep_slope(before, target))


def model_error(row: dict, pixels: int, fixed_scale: bool = True, weight_l1: float = 0.0, depthwise: int = 0,
                depth: int = DEPTH) -> float:
    """A real file (a row's width, bits and bpp; ``depthwise``: its kernels' mask) over --bpp's size model's
    prediction, less 1; ``weight_l1``: the fit's penalty, which the model allows for."""
    per_weight = bytes_per_weight(row["bits"], row["width"], depth, CHANNELS, fixed_scale, weight_l1, depthwise)
    predicted = predicted_bytes(row["width"], depth, CHANNELS, row["bits"], per_weight, depthwise)
    return row["bpp"] * pixels / 8 / predicted - 1


def split_runs(name: str | Path, by_bits: bool = False) -> dict[tuple[str, str], dict[str, dict[str, dict]]]:
    """(image size 'WxH', bpp) -> image -> variant -> {psnr, bpp, seconds} from quant_loss_split.py's output in this
    folder (or at a path); a variant's bpp counts its payload and the file around it (``HEADER_BYTES``). With
    ``by_bits`` each image's variants sit one level lower, under the plan's precision (image -> bits -> variant),
    for outputs that fit one image at several."""
    runs: dict = {}
    current, pixels = None, 0
    for line in (FOLDER / name).read_text().splitlines():
        head = re.match(r"(\S+\.png) ((\d+)x(\d+)) bpp=([^:]+):(?:.*?(\d+) bits)?", line)
        if head:
            current = runs.setdefault((head[2], head[5]), {}).setdefault(head[1], {})
            if by_bits:
                current = current.setdefault(int(head[6]), {})
            pixels = int(head[3]) * int(head[4])
            continue
        row = re.match(r"  (.+): ([\d.]+) dB, payload (\d+) bytes, (\d+) s", line)
        if row and current is not None:
            current[row[1]] = {"psnr": float(row[2]), "bpp": (int(row[3]) + HEADER_BYTES) * 8 / pixels,
                               "seconds": float(row[4])}
    return runs


def planned_network(path: str, size: str, bpp: float, bits: int | None = None):
    """(plan, default schedule, network to fit, target tensor) for one image resized to ``size`` ('WxH') and planned
    by --bpp rate control as the encoder plans it (seed 0, depth 6, kernels 'auto'; ``bits`` pins the precision as
    --bits does)."""
    from PIL import Image
    import torch

    width, height = map(int, size.split("x"))
    schedule = codec._schedule("default", None)
    image = Image.open(path).convert("RGB").resize((width, height), Image.LANCZOS)
    plan = codec._plan(image, 32, bpp, bits, 0, 6, schedule, "auto")
    h, w, c = plan.pixels.shape
    net = DeepDecoder(h, w, c, plan.net_width, plan.depth, 0, depthwise=plan.depthwise)
    return plan, schedule, net, codec._to_tensor(plan.pixels, torch.device("cpu"))
