"""Ablations of the encoder's settings: ``python -m ddcodec.ablation IMAGE... --config SPEC ...``.

Each ``--config`` is comma-separated ``key=value`` pairs: preset (the preset the other keys change; default:
default), k (or bpp), bits, seed, tries (``encode``'s: seeds from ``seed`` on, the best after the reduced-size
stages finished), depth (unset: the encoder's own choice, ``presets.choose_depth``), iters, qat
(fine-tuning iterations), lr (one-cycle peak), qat_lr, rows (fraction of full-resolution
rows each main-fit step renders), coarse (fraction of main-fit steps fitted at half size first), quarter (fraction
fitted at quarter size before those),
jitter (std of the noise added to the fixed input in the main fit; the reference's 0.005), l1 (weight of
the penalty on the hidden convs' mean weight magnitude, both phases), qat_l1 (the fine-tune's own, if
different), fixed_scale (1: the normalisations' scales stay at 1, the presets' choice; 0: they are
fitted), depthwise (auto, on or off: the 3x3 kernel per channel), bf16 (0: the main fit in float32; the
presets' 1 fits large layers in bfloat16 on a CPU), qat_bf16 (the same for the fine-tune), gptq (1: the fine-tune
starts from GPTQ rounding, ddcodec/rounding.py), prog (steps per layer of progressive rounding: GPTQ one layer at a
time, the float layers above it fitted after each; 0 is off), prog_lr (their peak lr), prog_low and prog_low_lr (the
same for plans at 6 bits and fewer, which take these instead: prog=0 alone leaves the default's 50 steps there, so
turning progressive rounding off at every precision takes prog=0,prog_low=0), qnoise (the fraction of the main
fit's last steps fitted through uniform noise of one rounding step: ``FitSchedule.quant_noise``), qnoise_scale (that noise's width
in rounding steps), restore (``FitSchedule.stage_restore_db``: a reduced-size stage that ends more than this many dB
under its best iterate hands the next stage that iterate; none: never), taper (``FitSchedule.taper``: the last hidden
layer's width in percent of the first's), out_gain (``FitSchedule.out_gain``: the output conv's initial weights and
learning rate times this). Unset keys keep
the preset's values. Images are resized to ``--size`` first (CPU runs), turned to each image's orientation
(``oriented``). One line per (image, config): bpp, float PSNR, decoded PSNR, seconds. The ablation figures in
RESULTS.md come from this command with ``OMP_NUM_THREADS=1`` (fits are deterministic per thread count).
``--summarize OUTPUT...`` reads saved outputs instead and prints each config's means.
"""
from __future__ import annotations

import argparse
import dataclasses
import re
from collections import defaultdict
from pathlib import Path

from PIL import Image

from . import codec, format as fmt
from .fit import FitSchedule

# config key -> (FitSchedule field, type); keys not given keep the preset's values
SCHEDULE_KEYS = {"iters": ("iters", int), "qat": ("qat_iters", int), "lr": ("lr", float), "qat_lr": ("qat_lr", float),
                 "beta1": ("beta1", float), "beta2": ("beta2", float),
                 "rows": ("row_fraction", float), "coarse": ("coarse_fraction", float),
                 "quarter": ("quarter_fraction", float),
                 "jitter": ("input_jitter", float), "l1": ("weight_l1", float), "qat_l1": ("qat_weight_l1", float),
                 "l1_ref": ("l1_ref_db", float), "l1_floor": ("l1_floor", float), "l1_end": ("weight_l1_end", float),
                 "l1_tries": ("weight_l1_tries", lambda v: tuple(float(x) for x in v.split(":") if x)),
                 "fixed_scale": ("fixed_scale", lambda v: bool(int(v))), "bf16": ("bf16", lambda v: bool(int(v))),
                 "qat_bf16": ("qat_bf16", lambda v: bool(int(v))),
                 "gptq": ("hessian_round", lambda v: bool(int(v))), "prog": ("progressive_steps", int),
                 "prog_lr": ("progressive_lr", float), "prog_low": ("low_bits_progressive_steps", int),
                 "prog_low_lr": ("low_bits_progressive_lr", float), "qnoise": ("quant_noise", float),
                 "qnoise_scale": ("quant_noise_scale", float),
                 "restore": ("stage_restore_db", lambda v: None if v == "none" else float(v)),
                 "taper": ("taper", int), "out_gain": ("out_gain", float)}
ENCODE_KEYS = {"k": float, "bpp": float, "bits": int, "seed": int, "tries": int, "depth": int, "depthwise": str}


def parse_config(spec: str) -> tuple[FitSchedule, dict]:
    """'k=28,bits=7,lr=0.03' -> (schedule, encode keyword arguments)."""
    changes: dict = {}
    kwargs: dict = {}
    preset = "default"
    for item in filter(None, (p.strip() for p in spec.split(","))):
        key, _, value = item.partition("=")
        if key == "preset":
            if value not in codec.PRESETS:
                raise ValueError(f"unknown preset {value!r} in config {spec!r} (one of {', '.join(codec.PRESETS)})")
            preset = value
        elif key in SCHEDULE_KEYS:
            field, kind = SCHEDULE_KEYS[key]
            changes[field] = kind(value)
        elif key in ENCODE_KEYS:
            kwargs[key] = ENCODE_KEYS[key](value)
        else:
            raise ValueError(f"unknown key {key!r} in config {spec!r}")
    fit = dataclasses.replace(codec.PRESETS[preset], **changes)
    return fit, kwargs


def kept_name(image: Path, spec: str) -> str:
    """The file name ``run`` keeps an encode under: 'kodim01_bpp0.125.ddc' for ('kodim01.png', 'bpp=0.125')."""
    return f"{image.stem}_{'_'.join(re.sub(r'[^A-Za-z0-9.]+', '', item) for item in spec.split(','))}.ddc"


def oriented(size: tuple[int, int], image_size: tuple[int, int]) -> tuple[int, int]:
    """``--size`` turned to the image's orientation: a portrait image (taller than wide) given a landscape size, or the
    other way round, is resized to the size's transpose. Before 1.16.0 (session 34) it was resized to ``size`` as
    given, which squashed Kodak's portrait photos (kodim09, 17 and 19 of the 12) to 384x256, where the RD tool's
    ``--scale 0.5`` gives 256x384: their saved lines are of those squashed images."""
    (w, h), (iw, ih) = size, image_size
    return (h, w) if (w - h) * (iw - ih) < 0 else (w, h)


def run(images: list[Path], configs: list[str], size: tuple[int, int] | None, device: str,
        keep: Path | None = None) -> list[dict]:
    """Encode every image with every config and print one line each; with ``keep``, also write the files
    there (``kept_name``), e.g. to study the fitted weights or time their decodes later."""
    rows = []
    for path in images:
        image = Image.open(path).convert("RGB")
        if size:
            image = image.resize(oriented(size, image.size), Image.LANCZOS)
        for spec in configs:
            schedule, kwargs = parse_config(spec)
            data, result = codec.encode(image, preset=schedule, device=device, **kwargs)
            if keep is not None:
                (keep / kept_name(path, spec)).write_bytes(data)
            row = {"image": path.name, "config": spec, "width": result.width, "depth": result.depth, "bits": result.bits,
                   "bpp": result.bpp, "float_psnr": result.float_psnr, "psnr": result.psnr,
                   "seconds": result.encode_seconds, "levels": result.levels}
            rows.append(row)
            trimmed = f"/{result.levels}" if result.trimmed else ""
            print(f"{row['image']:>12}  {spec:<36} w={row['width']:<3} bits={row['bits']}{trimmed} "
                  f"bpp={row['bpp']:.4f} float={row['float_psnr']:.2f} psnr={row['psnr']:.2f} "
                  f"{row['seconds']:.0f}s", flush=True)
    return rows


_LINE = re.compile(r"\s*(?P<image>\S+)\s+(?P<config>\S+)\s+w=(?P<width>\d+)\s+bits=(?P<bits>\d+)(?:/(?P<levels>\d+))? "
                   r"bpp=(?P<bpp>[\d.]+) float=(?P<float>[\d.]+) psnr=(?P<psnr>[\d.]+) (?P<seconds>\d+)s$")


def read_results(lines: list[str]) -> list[dict]:
    """The rows ``run`` printed, parsed back (any other line is skipped): image, config, width, bits, levels (the
    largest code: ``bits=7/58`` where rate control trimmed), bpp, float_psnr, psnr and seconds, so saved outputs can
    be compared in scripts."""
    rows = []
    for line in lines:
        match = _LINE.match(line.rstrip("\n"))
        if match:
            rows.append({"image": match["image"], "config": match["config"], "width": int(match["width"]),
                         "bits": int(match["bits"]), "bpp": float(match["bpp"]), "float_psnr": float(match["float"]),
                         "psnr": float(match["psnr"]), "seconds": float(match["seconds"]),
                         "levels": int(match["levels"] or fmt.qmax(int(match["bits"])))})
    return rows


def summarize(lines: list[str]) -> list[dict]:
    """Per config, in order of first appearance: the mean bpp, PSNRs and seconds over its images.

    Reads the lines ``run`` prints (``read_results``), so runs split over several processes can be pooled.
    """
    by_config: dict[str, list[dict]] = defaultdict(list)
    for row in read_results(lines):
        by_config[row["config"]].append(row)
    out = []
    for config, rows in by_config.items():
        def mean(key: str) -> float:
            return sum(r[key] for r in rows) / len(rows)
        out.append({"config": config, "images": len(rows), "bpp": mean("bpp"), "float_psnr": mean("float_psnr"),
                    "psnr": mean("psnr"), "seconds": mean("seconds")})
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ddcodec.ablation", description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="+", type=Path, help="images; with --summarize, saved outputs of this command")
    parser.add_argument("--config", action="append", help="e.g. k=28,bits=7,lr=0.03")
    parser.add_argument("--size", default="192x128", help="WxH to resize to (HxW for images of the other orientation), "
                        "or 'full'")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--keep", type=Path, help="folder to write the encoded files to")
    parser.add_argument("--summarize", action="store_true", help="print each config's means over the images "
                        "in saved outputs instead of fitting")
    args = parser.parse_args(argv)
    if args.summarize:
        lines = [line for path in args.images for line in path.read_text().splitlines()]
        for row in summarize(lines):
            print(f"{row['config']:<40} images={row['images']} bpp={row['bpp']:.4f} float={row['float_psnr']:.2f} "
                  f"psnr={row['psnr']:.2f} {row['seconds']:.0f}s")
        return
    if not args.config:
        parser.error("--config is required (or --summarize)")
    size = None if args.size == "full" else tuple(int(v) for v in args.size.lower().split("x"))
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    run(args.images, args.config, size, args.device, args.keep)


if __name__ == "__main__":
    main()
