"""The last two levels of a decode in polyphase form: a full-size layer held as its four parity planes.

When the last upsampling is an exact bilinear doubling and both top layers have depthwise kernels, the
full-size layers never need to exist in pixel order on a CPU. Output pixel (2j + py, 2i + px) of "double,
then the 3x3 kernel (edges replicated)" is a 3x3 kernel over the half-size layer around (j, i), a different
one for each parity (py, px) (``doubled_kernels``): the upsampling's passes and the copies that fed the
kernel disappear. The 1x1 conv above it and the output conv are per pixel, so they run on the planes as they
are; the last kernel reads across planes (``convolve_planes``); only the 3-channel image is interleaved.
"""
from __future__ import annotations

from typing import Optional

import torch

from .fused import Taps

# DOUBLING[p][a, e]: the weight of source row j - 1 + a in the doubled row 2j + p - 1 + e (torch's bilinear,
# align_corners=False: doubled row 2m is 0.25 x[m - 1] + 0.75 x[m], row 2m + 1 is 0.75 x[m] + 0.25 x[m + 1]).
# Replicating the source's edge row reproduces both the doubling's edge rows and the kernel's replicated edges.
DOUBLING = (((0.75, 0.25, 0.0), (0.25, 0.75, 0.75), (0.0, 0.0, 0.25)),
            ((0.25, 0.0, 0.0), (0.75, 0.75, 0.25), (0.0, 0.25, 0.75)))


def doubled_kernels(taps: torch.Tensor) -> torch.Tensor:
    """(4, C, 9): for parity p = 2 py + px, the 3x3 kernel (row-major, over the half-size layer with its edges
    replicated) equal to a bilinear doubling followed by ``taps`` (C, 9) with replicated edges. Computed in
    float64 and rounded once: against the two steps in float32, only the rounding differs (a pixel may move by one
    level, rarely: tests/test_polyphase.py)."""
    m = torch.tensor(DOUBLING, dtype=torch.float64, device=taps.device)
    k = taps.double().reshape(-1, 3, 3)
    out = [m[py] @ k @ m[px].t() for py in (0, 1) for px in (0, 1)]
    return torch.stack(out).view(4, -1, 9).to(taps.dtype)


def convolve_planes(pre: list[torch.Tensor], taps: torch.Tensor, p: int, rows: int,
                    out: Optional[torch.Tensor] = None) -> torch.Tensor:
    """(C, rows, Wh): parity plane p of a full-size layer's 3x3 depthwise convolution (``taps`` (C, 9),
    edges replicated), from the layer's four parity planes.

    ``pre[q]`` (C, rows + 1, Wh) holds plane q = 2 qy + qx for half rows j0 .. j0 + rows (qy = 0) or
    j0 - 1 .. j0 + rows - 1 (qy = 1): the one extra row each plane is read at. Where that row lies outside
    the image the caller fills it with the full-size edge row it stands for (plane 2 - 2 qy's, same
    columns). ``out``, if given, receives the result. A tap (dy, dx) of output parity (py, px) reads plane
    ((py + dy) % 2, (px + dx) % 2) shifted by ((py + dy) // 2, (px + dx) // 2) half pixels; a column shifted
    out of the image reads the other column plane's edge column, which is the full-size edge column replicated."""
    py, px = divmod(p, 2)
    out = torch.mul(pre[p][:, py:py + rows], taps[:, 4, None, None], out=out)
    for dy in (-1, 0, 1):
        qy, oy = (py + dy) % 2, (py + dy) // 2
        s = oy + qy  # row offset of half row j + oy in pre[2 qy + qx]
        for dx in (-1, 0, 1):
            if dy == 0 and dx == 0:
                continue
            qx, ox = (px + dx) % 2, (px + dx) // 2
            weight = taps[:, 3 * (dy + 1) + dx + 1, None, None]
            src = pre[2 * qy + qx][:, s:s + rows]
            if ox == 0:
                out.addcmul_(src, weight)
            elif ox > 0:  # half column i + 1 of the even columns; past the right edge, the last odd column
                out[:, :, :-1].addcmul_(src[:, :, 1:], weight)
                out[:, :, -1:].addcmul_(pre[2 * qy + 1][:, s:s + rows, -1:], weight)
            else:  # half column i - 1 of the odd columns; before the left edge, the first even column
                out[:, :, 1:].addcmul_(src[:, :, :-1], weight)
                out[:, :, :1].addcmul_(pre[2 * qy][:, s:s + rows, :1], weight)
    return out


def kernel_taps(padded: torch.Tensor, rows: int) -> Taps:
    """Where fused.depthwise reads a 3x3 kernel's taps over ``padded`` (C, rows + 2, W), halo rows included, its
    edge columns replicated: what ``render._convolve_channels_first`` reads."""
    sources, shifts, edges = [], [], []
    for dy in range(3):
        src = padded[:, dy:dy + rows]
        for dx in (-1, 0, 1):
            sources.append(src)
            shifts.append(dx)
            edges.append(src[:, :, -1 if dx > 0 else 0])
    return Taps(sources, shifts, edges)


def plane_taps(pre: list[torch.Tensor], p: int, rows: int) -> Taps:
    """Where fused.depthwise reads parity plane p's taps of a full-size 3x3 kernel over the four planes ``pre``
    (views of one buffer): what ``convolve_planes`` reads."""
    py, px = divmod(p, 2)
    sources, shifts, edges = [], [], []
    for dy in (-1, 0, 1):
        qy, oy = (py + dy) % 2, (py + dy) // 2
        s = oy + qy
        for dx in (-1, 0, 1):
            qx, ox = (px + dx) % 2, (px + dx) // 2
            sources.append(pre[2 * qy + qx][:, s:s + rows])
            shifts.append(ox)
            # past the right edge the last odd column, before the left edge the first even column
            edges.append(pre[2 * qy + 1][:, s:s + rows, -1] if ox > 0 else pre[2 * qy][:, s:s + rows, 0])
    return Taps(sources, shifts, edges)
