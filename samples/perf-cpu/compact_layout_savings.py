"""Session 64: what format version 4's compact layout (1.35.0) saves.

Each version-4 file of a saved RD sweep against its legacy twin, the same network written in the layout before it
(the same codes and steps, so the same decoded pixels; ``dataclasses.replace(header, version=0)``): per rate, the
bytes saved, their share of the file, and what that share is worth in PSNR at equal rate along the sweep's own mean
curve's slope there. Then each file against the size model that planned it (``ratecontrol.predicted_bytes`` in the
compact layout), as rate control's check on real files.

With --requantise: 1.34.1's files (legacy layout, float32 steps) rewritten by 1.35.0's packer, their shifts' and
output conv's steps rounded up to bfloat16 values and those codes rounded again, without the fit that 1.35.0's encoder
gives them (its fine-tune sees the rounded steps): bytes saved and the PSNR the re-rounding costs.

Usage: python samples/perf-cpu/compact_layout_savings.py SWEEP [SWEEP ...]   (folders in samples/, with streams/)
       python samples/perf-cpu/compact_layout_savings.py --requantise IMAGE_DIR FILE.ddc [FILE.ddc ...]
"""
import dataclasses
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import paired  # noqa: E402

from ddcodec import codec, format as fmt  # noqa: E402
from ddcodec.imageio import load_pixels, psnr  # noqa: E402
from ddcodec.presets import PRESETS  # noqa: E402
from ddcodec.quant import dequantize  # noqa: E402
from ddcodec.ratecontrol import bytes_per_weight, predicted_bytes  # noqa: E402

DEFAULT = PRESETS["default"]


def legacy_bytes(data: bytes) -> int:
    """The size of the same network in the layout of versions 1 to 3."""
    header, q = fmt.decode_file(data)
    return len(fmt.encode_file(dataclasses.replace(header, version=0), q))


def predicted(header: fmt.DdcHeader) -> int:
    """The size model's bytes for this file's plan, as rate control predicts a default encode's file."""
    per_weight = bytes_per_weight(header.bits, header.net_width, header.depth, header.channels, True,
                                  DEFAULT.planning_weight_l1, header.depthwise, DEFAULT.taper, True)
    return predicted_bytes(header.net_width, header.depth, header.channels, header.bits, per_weight,
                           header.depthwise, DEFAULT.taper, True)


def sweep_savings(folder: str) -> None:
    for rate in paired.SWEEP_RATES:
        files = sorted((paired.FOLDER.parent / folder / "streams").glob(f"*.ddcodec.bpp{rate:g}.ddc"))
        data = [f.read_bytes() for f in files]
        headers = [fmt.read_header(d) for d in data]
        assert all(h.version == fmt.COMPACT_VERSION for h in headers), folder
        sizes = np.array([len(d) for d in data])
        legacy = np.array([legacy_bytes(d) for d in data])
        slope = paired.sweep_slope(folder, rate)
        worth = slope * np.log2(legacy / sizes)
        model = sizes / np.array([predicted(h) for h in headers]) - 1
        plans = sorted({(h.net_width, h.bits, h.depth) for h in headers})
        print(f"{folder}, {rate:g} bpp, {len(files)} files (plans width/bits/depth {plans}): {sizes.mean():.0f} bytes, "
              f"legacy twins {legacy.mean():.0f}; saved {(legacy - sizes).min()} to {(legacy - sizes).max()} bytes, "
              f"{100 * (1 - sizes / legacy).mean():.2f}% of the legacy file; worth {worth.mean():+.3f} dB at equal "
              f"rate ({slope:.2f} dB per doubling)")
        print(f"  real over predicted (the size model, compact layout): mean {model.mean():+.2%}, "
              f"{model.min():+.2%} to {model.max():+.2%}")


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
