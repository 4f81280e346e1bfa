"""Published rate-distortion curves to draw next to our own measurements.

Reads either the project's anchors file (``{"_about", "codecs": {key: {"description",
"bpp", "psnr_rgb"}}}``, e.g. ``anchors/kodak_published.json``) or one CompressAI-style
result file (``{"name", "description", "results": {"bpp", "psnr-rgb"}}``, such as a
``<codec>.json`` an earlier ``ddcodec rd`` run wrote).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ReferenceCurve:
    """A curve someone else measured: drawn, never mixed into our tables."""

    name: str
    description: str
    bpp: list[float]
    psnr: list[float]


def _curve(name: str, entry: dict, psnr_key: str) -> ReferenceCurve:
    bpp, psnr = [float(v) for v in entry["bpp"]], [float(v) for v in entry[psnr_key]]
    if len(bpp) != len(psnr) or not bpp:
        raise ValueError(f"curve {name!r} has {len(bpp)} rates and {len(psnr)} PSNRs")
    pairs = sorted(zip(bpp, psnr))
    return ReferenceCurve(name, str(entry.get("description", name)), [b for b, _ in pairs], [p for _, p in pairs])


def load_reference(path: Path) -> list[ReferenceCurve]:
    """Every curve in the file; ValueError with a one-line reason if it is not readable."""
    try:
        data = json.loads(Path(path).read_text())
        if isinstance(data, dict) and isinstance(data.get("codecs"), dict):
            return [_curve(k, v, "psnr_rgb") for k, v in data["codecs"].items()]
        if isinstance(data, dict) and isinstance(data.get("results"), dict):
            name = str(data.get("name", Path(path).stem))
            return [_curve(name, {"description": data.get("description", name), **data["results"]}, "psnr-rgb")]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"cannot read reference curves from {path}: {exc}") from exc
    raise ValueError(f"cannot read reference curves from {path}: neither 'codecs' nor 'results' found")
