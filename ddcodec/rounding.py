"""Hessian-aware rounding of a fitted network's weights (GPTQ, Frantar et al. 2023), before the fine-tune.

Rounding each weight to its nearest code ignores that the errors of one row's weights add up in the layer's
output. For a 1x1 conv with inputs X (channels x pixels), a row's output error is (w - q) X, whose energy is
(w - q) H (w - q)^T with H = X X^T. GPTQ rounds a row one weight at a time and moves the weights not yet
rounded to cancel what the rounding did, through the Cholesky factor of H^-1. The layers are taken in
order, each with the inputs of the network whose lower layers are already rounded, so later layers also
absorb what earlier ones lost.

Each row goes its own way through its weights: its largest-magnitude weight first. In unit-row form
(``model.unit_rows``) that weight is exactly +-1, a code with no error, so it never moves and the row's
max-abs stays 1: the codes this leaves are the ones ``quant.quantize`` writes, and the fine-tune's fake
quantisation reproduces them. The depthwise kernels are rows of 9 taps with a Hessian per channel (their
3x3 input patches); the output conv's rows keep their stored step. Scales and shifts are left to plain
rounding (they cost 0.01 to 0.02 dB).
"""
from __future__ import annotations

from typing import Iterator, Optional

import torch
import torch.nn.functional as F

from .model import BatchedDeepDecoder, DeepDecoder, _conv1x1, _depthwise, _upsample, relu_norm, unit_rows
from .quant import _steps_of, fake_quant, qmax

DAMPING = 0.01  # of the Hessian's mean diagonal, added to it: GPTQ's default


def round_rows(rows: torch.Tensor, hessian: torch.Tensor, bits: int, levels: Optional[int] = None) -> torch.Tensor:
    """``rows`` (R, N) in code units (codes are the integers in [-levels, levels], ``levels`` by default
    ``qmax(bits)``) rounded to codes, each row compensating its own rounding errors through ``hessian`` ((N, N),
    shared, or (R, N, N)); returns the codes as floats. Each row's largest-magnitude entry is rounded first, the rest
    by decreasing Hessian diagonal."""
    m = qmax(bits) if levels is None else levels
    rows = rows.double()
    r, n = rows.shape
    h = hessian.double().expand(r, n, n)
    damp = DAMPING * h.diagonal(dim1=1, dim2=2).mean(dim=1).clamp_min(1e-12)
    h = h + damp[:, None, None] * torch.eye(n, dtype=h.dtype)
    diag = h.diagonal(dim1=1, dim2=2)
    key = -diag / diag.amax(dim=1, keepdim=True)  # in [-1, 0]: larger diagonals first ...
    key = key.scatter(1, rows.abs().argmax(dim=1, keepdim=True), -2.0)  # ... after the row's largest entry
    order = key.argsort(dim=1)
    w = rows.gather(1, order)
    hp = h.gather(1, order[:, :, None].expand(r, n, n)).gather(2, order[:, None, :].expand(r, n, n))
    # upper Cholesky factor of the inverse Hessian: its row j carries weight j's error to the weights after it
    inv = torch.cholesky_inverse(torch.linalg.cholesky(hp))
    u = torch.linalg.cholesky(inv, upper=True)
    codes = torch.empty_like(w)
    for j in range(n):
        q = torch.clamp(torch.round(w[:, j]), -m, m)
        codes[:, j] = q
        err = (w[:, j] - q) / u[:, j, j]
        w[:, j + 1:] -= err[:, None] * u[:, j, j + 1:]
    return torch.empty_like(codes).scatter_(1, order, codes).float()


PATCH_CHUNK_BYTES = 1 << 28  # the 3x3 patches of this many bytes' worth of channels at a time


def _patch_hessians(y: torch.Tensor) -> torch.Tensor:
    """(C, 9, 9): per channel of ``y`` (1, C, H, W), the second moments of its replicate-padded 3x3 patches
    (taps row-major, as ``weight_shapes``' kernels), a few channels at a time (the patches are 9 copies)."""
    c, h, w = y.shape[1:]
    chunk = max(1, PATCH_CHUNK_BYTES // (9 * 4 * h * w))
    out = []
    for c0 in range(0, c, chunk):
        padded = F.pad(y[:, c0:c0 + chunk].float(), (1, 1, 1, 1), mode="replicate")[0]
        n = padded.shape[0]
        taps = torch.stack([padded[:, dy:dy + h, dx:dx + w].reshape(n, -1) for dy in range(3) for dx in range(3)], 1)
        out.append(torch.bmm(taps, taps.transpose(1, 2)))
    return torch.cat(out)


def _second_moments(x: torch.Tensor) -> torch.Tensor:
    """(C, C): the sum over pixels of x x^T for ``x`` (1, C, H, W) (channels-last: a view, not a copy)."""
    flat = x[0].permute(1, 2, 0).reshape(-1, x.shape[1])
    return flat.t() @ flat


def round_layer_by_layer(z: torch.Tensor, w: dict[str, torch.Tensor], sizes: list[tuple[int, int]], upsample: str,
                         bits: int, levels: Optional[int] = None) -> Iterator[int]:
    """GPTQ-round one network's layers in order, in place (fixed input ``z`` (1, C, h, w), weights ``w``), yielding
    after each: hidden layer i (its conv, kernel and, plainly rounded, its scale and shift) as i, the output conv as
    ``len(sizes)``. Between yields a caller may change the layers not yet rounded (progressive quantisation); the
    rounded ones must stay as they are, as the next layer's inputs were computed from them. Codes go up to
    ``levels`` (default ``qmax(bits)``); hidden rows are left as unit rows of codes / levels."""
    m = qmax(bits) if levels is None else levels
    depth = len(sizes)
    x = z.float()
    for i in range(depth):
        with torch.no_grad():
            conv = f"conv{i}"
            w[conv].copy_(round_rows(unit_rows(w[conv]) * m, _second_moments(x), bits, m) / m)
            y = _conv1x1(x, w[conv], 1, True)
            if i + 1 < depth:
                y = _upsample(y, sizes[i + 1], upsample)
            kernel = f"dw{i}"
            if kernel in w:
                w[kernel].copy_(round_rows(unit_rows(w[kernel]) * m, _patch_hessians(y), bits, m) / m)
                y = _depthwise(y, w[kernel])
            for name in (f"scale{i}", f"shift{i}"):
                w[name].copy_(fake_quant(name, w[name], bits, m))
            x = relu_norm(y, w[f"scale{i}"].reshape(-1), w[f"shift{i}"].reshape(-1))
        yield i
    with torch.no_grad():
        step = _steps_of("out", w["out"], bits, m)
        w["out"].copy_(round_rows(w["out"] / step, _second_moments(x), bits, m) * step)
    yield depth


def networks(model: DeepDecoder | BatchedDeepDecoder) -> list[tuple[torch.Tensor, dict[str, torch.Tensor]]]:
    """Each network's fixed input (1, C, h, w) and weights, as views of ``model``'s (a batch's images one by one)."""
    if isinstance(model, DeepDecoder):
        return [(model.z, dict(model.weights))]
    width = model.z.shape[1] // model.batch
    return [(model.z[:, b * width:(b + 1) * width], {n: p[b] for n, p in model.weights.items()})
            for b in range(model.batch)]


def hessian_round(model: DeepDecoder | BatchedDeepDecoder, bits: int, levels: Optional[list[int]] = None) -> None:
    """Replace each network's hidden convs, depthwise kernels and output conv by their GPTQ-rounded values, in
    place: unit rows of codes / levels for the convs and kernels, codes times the stored step for the output
    conv, so ``quant.fake_quant`` and ``quant.quantize`` leave them where they are (at each network's ``levels``)."""
    for index, (z, weights) in enumerate(networks(model)):
        for _ in round_layer_by_layer(z, weights, model.sizes, model.upsample, bits,
                                      None if levels is None else levels[index]):
            pass  # nothing done between layers
