"""The visual comparison sheet: one crop of one image, as each codec leaves it at
about the same rate, side by side with the original.

Drawn with Pillow alone (no matplotlib), from the real encoded files the sweep kept,
so it needs no second encode. Each tile is labelled with the codec, the bpp and the
PSNR of the whole image at the chosen operating point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .codecs import Codec
from .sweep import BenchImage, Record, stream_path

CROP = 256
MIN_TILE = 160
LABEL_H = 40
MISSING_GREY = (200, 200, 200)


@dataclass
class Tile:
    """One panel of the sheet."""

    title: str
    detail: str
    image: Image.Image


def pick(records: Sequence[Record], image: str, codec: str, bpp: float) -> Record | None:
    """The codec's operating point on this image closest to ``bpp`` (in log-rate)."""
    mine = [r for r in records if r.image == image and r.codec == codec]
    return min(mine, key=lambda r: abs(math.log(r.bpp / bpp)), default=None)


def crop_box(width: int, height: int, size: int = CROP) -> tuple[int, int, int, int]:
    """A centred crop of at most ``size`` x ``size``."""
    w, h = min(size, width), min(size, height)
    x, y = (width - w) // 2, (height - h) // 2
    return x, y, x + w, y + h


def tiles(
    image: BenchImage, codecs: Sequence[Codec], records: Sequence[Record], streams: Path, bpp: float,
) -> list[Tile]:
    """The original plus, for each codec, its point nearest ``bpp``, decoded from its file
    (a grey panel saying so where the file is not in ``streams``)."""
    box = crop_box(*image.image.size)
    out = [Tile("original", f"{image.name}", image.image.crop(box))]
    for codec in codecs:
        rec = pick(records, image.name, codec.name, bpp)
        if rec is None:
            continue
        setting = next(s for s in codec.settings if codec.setting_label(s) == rec.setting)
        path = stream_path(streams, image, codec, setting)
        detail = f"{rec.bpp:.3f} bpp, {rec.psnr:.2f} dB"
        if path.exists():
            out.append(Tile(codec.label, detail, codec.decode(path.read_bytes()).crop(box)))
        else:  # a report from the cache alone: said on the panel, never encoded again
            blank = Image.new("RGB", (box[2] - box[0], box[3] - box[1]), MISSING_GREY)
            out.append(Tile(codec.label, f"{detail}, file not kept", blank))
    return out


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def draw_sheet(panels: Sequence[Tile], path: Path, caption: str) -> Path:
    """Lay the tiles out in one row (small crops enlarged, nearest-neighbour) and save a PNG."""
    cw, ch = panels[0].image.size
    zoom = max(1, math.ceil(MIN_TILE / cw))
    tw, th = cw * zoom, ch * zoom
    pad, top = 8, 30
    sheet = Image.new("RGB", (pad + len(panels) * (tw + pad), top + th + LABEL_H + pad), "white")
    draw = ImageDraw.Draw(sheet)
    big, small = _font(14), _font(12)
    draw.text((pad, 8), caption + (f" (crops enlarged x{zoom}, nearest)" if zoom > 1 else ""),
              fill="black", font=small)
    for i, t in enumerate(panels):
        x = pad + i * (tw + pad)
        sheet.paste(t.image.resize((tw, th), Image.Resampling.NEAREST), (x, top))
        draw.text((x, top + th + 4), t.title, fill="black", font=big)
        draw.text((x, top + th + 22), t.detail, fill=(60, 60, 60), font=small)
    sheet.save(path)
    return path
