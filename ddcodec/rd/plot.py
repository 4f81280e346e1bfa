"""The RD plot: PSNR (and MS-SSIM, when every point has it) against bpp.

matplotlib (the ``bench`` extra) is imported inside ``plot_rd`` with the Agg backend,
so the rest of ``ddcodec.rd`` works without it. Classical codecs are dashed, ddcodec
solid; published reference curves are thin, dotted and labelled as published.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

from .reference import ReferenceCurve
from .report import Curve


def _msssim_db(v: float) -> float:
    return -10.0 * math.log10(max(1.0 - v, 1e-10))


def _short(description: str, limit: int = 48) -> str:
    """'JPEG. Pillow version 7.1.2' -> 'JPEG'; long names cut to fit the legend."""
    head = re.sub(r"\.\s+\S+ version .*$", "", description)
    return head if len(head) <= limit else head[: limit - 3] + "..."


def _draw(ax, curve: Curve, x: Sequence[float], y: Sequence[float], color: str) -> None:  # noqa: ANN001
    solid = not curve.classical
    ax.plot(x, y, "-" if solid else "--", marker="s" if solid else "o", lw=2.4 if solid else 1.4,
            ms=3.5, color=color, label=curve.label)


def plot_rd(
    curves: Sequence[Curve],
    out: Path,
    title: str,
    reference: Sequence[ReferenceCurve] = (),
    reference_note: str = "",
) -> list[Path]:
    """Write ``rd.png`` and ``rd.svg`` in ``out``; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with_msssim = [c for c in curves if c.msssim is not None]
    ncols = 2 if with_msssim else 1
    fig, axes = plt.subplots(1, ncols, figsize=(7.0 * ncols, 5.5), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    max_bpp = max((b for c in curves for b in c.bpp), default=2.0)

    ax = axes[0][0]
    color = {c.name: colors[i % len(colors)] for i, c in enumerate(curves)}
    for c in curves:
        _draw(ax, c, c.bpp, c.psnr, color[c.name])
    others = plt.get_cmap("tab20b")
    for j, r in enumerate(reference):
        # A published curve of a codec we also ran shares its colour.
        ax.plot(r.bpp, r.psnr, ":", lw=1.2, alpha=0.85, color=color.get(r.name, others(j % 20)),
                label=f"published: {_short(r.description)}")
    ax.set(xlabel="bits per pixel (bpp)", ylabel="PSNR-RGB (dB)", title=f"PSNR, {title}")
    ax.set_xlim(0, max_bpp * 1.05)
    ours = [p for c in curves for p in c.psnr if math.isfinite(p)]
    if ours:
        ax.set_ylim(min(ours) - 1.0, max(ours) + 1.0)
    ax.grid(alpha=0.3)

    if with_msssim:
        ax2 = axes[0][1]
        for c in with_msssim:
            _draw(ax2, c, c.bpp, [_msssim_db(v) for v in c.msssim or []], color[c.name])
        ax2.set(xlabel="bits per pixel (bpp)", ylabel="MS-SSIM (dB) = -10 log10(1 - MS-SSIM)",
                title=f"MS-SSIM, {title}")
        ax2.set_xlim(0, max_bpp * 1.05)
        ax2.grid(alpha=0.3)

    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False,
               title="solid: ddcodec, dashed: classical,\ndotted: published", title_fontsize=8)
    if reference and reference_note:
        fig.supxlabel(reference_note, fontsize=7, color="0.3")
    fig.tight_layout()
    paths = [out / "rd.png", out / "rd.svg"]
    fig.savefig(paths[0], dpi=150, bbox_inches="tight")
    fig.savefig(paths[1], bbox_inches="tight")
    plt.close(fig)
    return paths
