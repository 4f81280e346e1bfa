"""Session 64: what format version 4's compact layout (1.35.0) saves.

Each version-4 file a saved RD sweep kept (its streams/ folder: the sheet image's, kodim01) against its legacy twin,
the same network written in the layout before it (the same codes and steps, so the same decoded pixels;
``dataclasses.replace(header, version=0)``): per rate, the bytes saved, their share of the file, and what that share is
worth in PSNR at equal rate along the sweep's own mean curve's slope there. Then every file of the sweep (its
per_image.csv) against the size model's prediction for the plan rate control gives that image at that target
(``codec.plan_network``, ``ratecontrol.predicted_bytes`` in the compact layout): rate control's check on real files
(a file refitted narrower or trimmed would show as one far under).

With --requantise: 1.34.1's files (legacy layout, float32 steps) rewritten by 1.35.0's packer, their shifts' and
output conv's steps rounded up to bfloat16 values and those codes rounded again, without the fit that 1.35.0's encoder
gives them (its fine-tune sees the rounded steps): bytes saved and the PSNR the re-rounding costs.

Usage: python samples/perf-cpu/compact_layout_savings.py SWEEP [SWEEP ...]   (folders in samples/, with streams/)
       python samples/perf-cpu/compact_layout_savings.py --requantise IMAGE_DIR FILE.ddc [FILE.ddc ...]
"""
import csv
import dataclasses
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import paired  # noqa: E402

from ddcodec import codec, format as fmt  # noqa: E402
from ddcodec.imageio import load_pixels, psnr  # noqa: E402
from ddcodec.presets import PRESETS, choose_depth  # noqa: E402
from ddcodec.quant import dequantize  # noqa: E402
from ddcodec.ratecontrol import bytes_per_weight, predicted_bytes  # noqa: E402

DEFAULT = PRESETS["default"]


def legacy_bytes(data: bytes) -> int:
    """The size of the same network in the layout of versions 1 to 3."""
    header, q = fmt.decode_file(data)
    return len(fmt.encode_file(dataclasses.replace(header, version=0), q))


def predicted(height: int, width: int, target: float) -> tuple[int, tuple[int, int, int]]:
    """The size model's bytes for the plan a default encode of an RGB image of this size gets at ``target`` bpp, and
    that plan (width, bits, depth)."""
    depth = choose_depth(height, width, 3, 32.0, target)
    net_width, bits, mask = codec.plan_network(height, width, 3, bpp=target, depth=depth, schedule=DEFAULT)
    per_weight = bytes_per_weight(bits, net_width, depth, 3, True, DEFAULT.planning_weight_l1, mask, DEFAULT.taper,
                                  True)
    return predicted_bytes(net_width, depth, 3, bits, per_weight, mask, DEFAULT.taper, True), (net_width, bits, depth)


def sweep_savings(folder: str) -> None:
    records = list(csv.DictReader((paired.FOLDER.parent / folder / "per_image.csv").open()))
    for rate in paired.SWEEP_RATES:
        files = sorted((paired.FOLDER.parent / folder / "streams").glob(f"*.ddcodec.bpp{rate:g}.ddc"))
        data = [f.read_bytes() for f in files]
        assert all(fmt.read_header(d).version == fmt.COMPACT_VERSION for d in data), folder
        sizes = np.array([len(d) for d in data])
        legacy = np.array([legacy_bytes(d) for d in data])
        slope = paired.sweep_slope(folder, rate)
        worth = slope * np.log2(legacy / sizes)
        print(f"{folder}, {rate:g} bpp, {', '.join(f.name.split('.')[0] for f in files)}: {sizes.mean():.0f} bytes, "
              f"legacy twin {legacy.mean():.0f}: {(legacy - sizes).mean():.0f} bytes saved, "
              f"{100 * (1 - sizes / legacy).mean():.2f}% of the legacy file, worth {worth.mean():+.3f} dB at equal "
              f"rate ({slope:.2f} dB per doubling)")
        rows = [r for r in records if r["codec"] == "ddcodec" and r["setting"] == f"bpp={rate:g}"]
        landscape = tuple(int(v) for v in re.search(r"-(\d+)x(\d+)", folder).groups())  # width, height
        model, plans = [], set()
        for r in rows:  # Kodak's portrait photos are the landscape size turned
            width, height = landscape[::-1] if r["image"] in paired.PORTRAIT else landscape
            bytes_, plan = predicted(height, width, rate)
            model.append(int(r["bytes"]) / bytes_ - 1)
            plans.add(plan)
        print(f"  {len(rows)} files against the size model's prediction for their plans {sorted(plans)}: mean "
              f"{np.mean(model):+.2%}, {min(model):+.2%} to {max(model):+.2%}")


def requantise(image_dir: str, path: str) -> None:
    data = Path(path).read_bytes()
    header, q = fmt.decode_file(data)
    widths = tuple(header.layer_widths) if header.widths else ()
    weights = dequantize(q, header.steps, header.bits, header.net_width, header.depth, header.channels,
                         header.depthwise, widths)
    hidden = [c for name, c in paired.file_codes(path)[1] if name.startswith(("conv", "dw"))]
    levels = int(max(np.abs(c).max() for c in hidden))
    compact = codec.pack(weights, header.height, header.width, header.channels, header.net_width, header.bits,
                         header.seed, header.target_ratio, header.depth, header.depthwise, levels, widths)
    image = load_pixels(str(Path(image_dir) / (Path(path).name.split(".")[0] + ".png")))
    before, after = (psnr(codec.decode_pixels(d, device="cpu"), image) for d in (data, compact))
    print(f"{Path(path).name}: version {header.version} -> {fmt.read_header(compact).version}, {len(data)} -> "
          f"{len(compact)} bytes ({100 * (len(compact) / len(data) - 1):+.2f}%), {before:.3f} -> {after:.3f} dB "
          f"({after - before:+.4f}; levels {levels})")


def main(args: list[str]) -> None:
    if args[:1] == ["--requantise"]:
        for path in args[2:]:
            requantise(args[1], path)
        return
    for folder in args:
        sweep_savings(folder)
    print("(worth: log2 of the legacy over the compact size times the slope, the PSNR those bytes buy where the "
          "curve is straight)")


if __name__ == "__main__":
    main(sys.argv[1:])
