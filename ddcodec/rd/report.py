"""The sweep's numbers as files: CompressAI-style JSON per codec, a per-image CSV,
and a Markdown table of Bjontegaard deltas and of PSNR at fixed rates.

Means are taken per operating point over images (PSNR averaged in dB per image, as
CompressAI does). MS-SSIM is reported for an operating point only when every image
has it (it is undefined at 160 px or less, and needs the ``bench`` extra): otherwise
the ``ms-ssim`` key is left out of the JSON rather than averaged over a subset, and
the CSV cell is empty.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .bd import METHODS, bd_psnr, bd_rate
from .codecs import Codec
from .sweep import Record

CSV_COLUMNS = ("image", "codec", "setting", "bytes", "bpp", "psnr", "ms-ssim", "encode_s", "decode_s")
FIXED_BPP = (0.125, 0.25, 0.5, 1.0)


@dataclass
class Curve:
    """One codec's mean rate-distortion curve, sorted by bpp."""

    name: str
    label: str
    description: str
    classical: bool
    settings: list[str]
    bpp: list[float]
    psnr: list[float]
    msssim: list[float] | None
    encoding_time: list[float]
    decoding_time: list[float]

    def to_json(self) -> dict:
        """CompressAI's layout: name, description, results (lists, one entry per point)."""
        results: dict[str, list[float]] = {"bpp": self.bpp, "psnr-rgb": self.psnr}
        if self.msssim is not None:
            results["ms-ssim"] = self.msssim
        results["encoding_time"] = self.encoding_time
        results["decoding_time"] = self.decoding_time
        return {"name": self.name, "description": self.description, "results": results}


def summarise(records: Sequence[Record], codecs: Sequence[Codec]) -> list[Curve]:
    """Average the records of each codec per setting over images."""
    curves = []
    for codec in codecs:
        points: dict[str, list[Record]] = {}
        for r in records:
            if r.codec == codec.name:
                points.setdefault(r.setting, []).append(r)
        if not points:
            continue
        rows = sorted(points.items(), key=lambda kv: float(np.mean([r.bpp for r in kv[1]])))

        def mean(attr: str) -> list[float]:
            return [float(np.mean([getattr(r, attr) for r in rs])) for _, rs in rows]

        has_msssim = all(r.msssim is not None for _, rs in rows for r in rs)
        curves.append(Curve(
            name=codec.name, label=codec.label, description=codec.description(),
            classical=codec.is_classical(), settings=[s for s, _ in rows],
            bpp=mean("bpp"), psnr=mean("psnr"), msssim=mean("msssim") if has_msssim else None,
            encoding_time=mean("encode_s"), decoding_time=mean("decode_s"),
        ))
    return curves


def write_json(curves: Sequence[Curve], out: Path) -> list[Path]:
    """One ``<codec>.json`` per curve."""
    paths = []
    for c in curves:
        path = out / f"{c.name}.json"
        path.write_text(json.dumps(c.to_json(), indent=2) + "\n")
        paths.append(path)
    return paths


def write_csv(records: Sequence[Record], path: Path) -> Path:
    """Every measured point, one row per image, codec and setting."""
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        for r in records:
            w.writerow([
                r.image, r.codec, r.setting, r.bytes, f"{r.bpp:.6f}", f"{r.psnr:.4f}",
                "" if r.msssim is None else f"{r.msssim:.6f}", f"{r.encode_s:.6f}", f"{r.decode_s:.6f}",
            ])
    return path


def psnr_at(curve: Curve, bpp: float) -> float | None:
    """PSNR at a given bpp, linear in log-rate between measured points; None outside."""
    x, y = np.log(curve.bpp), np.asarray(curve.psnr)
    t = math.log(bpp)
    if not x.min() <= t <= x.max():
        return None
    order = np.argsort(x)
    return float(np.interp(t, x[order], y[order]))


def _signed(value: float, unit: str) -> str:
    return f"{value:+.2f}{unit}"


def bd_rows(curves: Sequence[Curve], anchor: Curve) -> list[list[str]]:
    """Table rows: codec, BD-rate and BD-PSNR by each method, common ranges."""
    rows = []
    for c in curves:
        if c is anchor:
            continue
        cells = [c.label]
        for fn, unit in ((bd_rate, " %"), (bd_psnr, " dB")):
            for method in METHODS:
                try:
                    cells.append(_signed(fn(anchor.bpp, anchor.psnr, c.bpp, c.psnr, method), unit))
                except (ValueError, ImportError):
                    cells.append("n/a")
        lo_b, hi_b = max(min(c.bpp), min(anchor.bpp)), min(max(c.bpp), max(anchor.bpp))
        lo_p, hi_p = max(min(c.psnr), min(anchor.psnr)), min(max(c.psnr), max(anchor.psnr))
        cells.append(f"{lo_b:.3f} to {hi_b:.3f}" if hi_b > lo_b else "none")
        cells.append(f"{lo_p:.2f} to {hi_p:.2f}" if hi_p > lo_p else "none")
        rows.append(cells)
    return rows


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def markdown(curves: Sequence[Curve], anchor: Curve | None, n_images: int, title: str) -> str:
    """The BD table against the anchor, then mean PSNR at fixed bpp."""
    parts = [f"# Rate-distortion summary: {title}", ""]
    if anchor is None:
        parts += ["No BD table: the anchor codec is not among the results.", ""]
    else:
        parts += [
            f"## Bjontegaard deltas against {anchor.label} (anchor), mean curves over {n_images} image(s)",
            "",
            "BD-rate: mean bitrate difference at equal PSNR over the PSNR range both curves cover "
            "(negative: fewer bits than the anchor). BD-PSNR: mean PSNR difference at equal bpp over "
            "the bpp range both curves cover (positive: better than the anchor). cubic: VCEG-M33 "
            "cubic polynomial fit; pchip: piecewise cubic Hermite interpolation (JCT-VC/JVET "
            "common test conditions). n/a: too few points or no overlap.",
            "",
            _table(
                ["codec", "BD-rate cubic", "BD-rate pchip", "BD-PSNR cubic", "BD-PSNR pchip",
                 "common bpp", "common PSNR (dB)"],
                bd_rows(curves, anchor),
            ),
            "",
        ]
    fixed = [[c.label] + [("-" if (v := psnr_at(c, b)) is None else f"{v:.2f}") for b in FIXED_BPP]
             for c in curves]
    parts += [
        "## Mean PSNR-RGB (dB) at fixed bpp",
        "",
        "Interpolated linearly in log(bpp) between measured operating points; - where the "
        "sweep does not reach that rate.",
        "",
        _table(["codec"] + [f"{b:g} bpp" for b in FIXED_BPP], fixed),
        "",
    ]
    return "\n".join(parts)


def per_image_markdown(records: Sequence[Record], codec_name: str) -> str | None:
    """One row per image (bpp, PSNR, encode and decode seconds at each setting) and a mean row."""
    mine = [r for r in records if r.codec == codec_name]
    if not mine:
        return None
    settings = list(dict.fromkeys(r.setting for r in mine))
    images = list(dict.fromkeys(r.image for r in mine))
    by_key = {(r.image, r.setting): r for r in mine}
    header = ["image"] + [f"{s} {col}" for s in settings for col in ("bpp", "PSNR", "enc s", "dec s")]
    rows = []
    for image in images + ["mean"]:
        row = [image]
        for s in settings:
            pts = [by_key[(i, s)] for i in images if (i, s) in by_key] if image == "mean" else \
                [by_key[(image, s)]] if (image, s) in by_key else []
            if not pts:
                row += ["-"] * 4
                continue
            mean = lambda f: sum(f(p) for p in pts) / len(pts)  # noqa: E731
            row += [f"{mean(lambda p: p.bpp):.3f}", f"{mean(lambda p: p.psnr):.2f}",
                    f"{mean(lambda p: p.encode_s):.1f}", f"{mean(lambda p: p.decode_s):.3f}"]
        rows.append(row)
    return f"# {codec_name}: per image\n\n" + _table(header, rows) + "\n"
