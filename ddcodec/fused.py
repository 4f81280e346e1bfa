"""ddcodec's C kernels (``ddcodec/_fused.c``): the CPU decode's depthwise kernels fused with ReLU and per-row
statistics, and the CPU fit's largest elementwise steps.

The renderer's parity planes (polyphase.py) spend most of a CPU decode's elementwise time on the two top levels'
3x3 kernels: torch runs each as nine passes over a band, then ReLU, a copy into the planes and two passes for the
statistics. The C kernel computes each output row once, straight into its destination, with its statistics
(RESULTS.md, "Fused kernels"). It is an optional extension: a build without a C compiler leaves it out, and the
renderer then takes torch's ops, which give the same pixels up to float rounding (one level, rarely). The output
conv and the 8-bit rounding are fused the same way (``pixels``), and for the fit on a CPU: the backward of its large
depthwise layers (``depthwise_backward``, from model._ReplicateDepthwise), its hidden layers' ReLU and normalisation
(``relu_statistics`` and the passes after it, from model._ReluNorm) and its bilinear doublings (``doubled``, from
model._Doubling).
"""
from __future__ import annotations

import os
import re
from typing import Optional, Sequence

import numpy as np
import torch

try:
    from . import _fused
except ImportError:  # built without the extension: torch's ops serve
    _fused = None

OPENMP_RUNTIME = re.compile(r"/lib(gomp|iomp5|omp)[^/]*\.so")


def openmp_runtimes(maps_path: str = "/proc/self/maps") -> Optional[set[str]]:
    """The OpenMP runtimes this process has loaded (Linux; None where it cannot tell).

    The C kernels run on the OpenMP runtime they were linked with (libgomp.so.1), which is torch's own where torch
    ships the same soname (the CPU wheels do): torch's worker threads, still spinning after a matrix product, then
    take the kernels' work. A second runtime would bring a second team of threads to fight them for the cores (a
    decode twice as slow as torch's ops, measured with a team of plain threads)."""
    try:
        with open(maps_path) as maps:
            paths = {line.split()[-1] for line in maps if OPENMP_RUNTIME.search(line)}
    except OSError:
        return None
    return {os.path.realpath(p) for p in paths}


# False takes torch's ops even where the extension is built: DDCODEC_FUSED=0 in the environment, a second OpenMP
# runtime beside torch's, or a test or benchmark setting it
ENABLED = os.environ.get("DDCODEC_FUSED", "1") != "0" and len(openmp_runtimes() or ()) <= 1


# _fused.c's: the longest row ``depthwise`` writes with a column stride other than 1, and its vectors' floats
ROW_MAX, VECTOR = (_fused.ROW_MAX, _fused.VL) if _fused is not None else (4096, 8)


def available() -> bool:
    """Whether the renderer and the fit use the C kernels: the extension is built and not switched off."""
    return _fused is not None and ENABLED


def _module():
    if _fused is None:
        raise RuntimeError("ddcodec was built without its C kernels (ddcodec._fused)")
    return _fused


class Taps:
    """Where a 3x3 kernel's nine taps read, checked once and reused for every band of one shape.

    Tap t (row-major over the kernel) reads ``sources[t]`` (C, rows, W) at column x + ``shifts[t]`` (-1, 0 or 1)
    and, where that falls outside, ``edges[t]`` (C, rows): the column it stands for. Every source and edge is a
    float32 view of one CPU buffer with the same channel and row strides and unit column stride."""

    def __init__(self, sources: Sequence[torch.Tensor], shifts: Sequence[int], edges: Sequence[torch.Tensor]):
        first = sources[0]
        c, rows, _ = self.shape = tuple(first.shape)
        if any(v.dtype != torch.float32 or v.device.type != "cpu" or v.stride(-1) != 1 for v in sources):
            raise ValueError("fused.Taps takes float32 CPU views with unit column stride")
        if any(v.shape != first.shape or v.stride() != first.stride() for v in sources):
            raise ValueError("fused.Taps: every source must have the same shape and strides")
        if any(e.shape != (c, rows) or e.stride() != first.stride()[:2] for e in edges):
            raise ValueError("fused.Taps: every edge must be (C, rows) with the sources' strides")
        base = first.data_ptr()
        self.buffer = first  # keeps the memory the offsets point into alive
        self.args = (base, first.stride(0), first.stride(1),
                     tuple((v.data_ptr() - base) // 4 + d for v, d in zip(sources, shifts)),
                     tuple((e.data_ptr() - base) // 4 for e in edges), tuple(shifts))


def depthwise(taps_at: Taps, taps: torch.Tensor, out: torch.Tensor, sums: torch.Tensor, squares: torch.Tensor,
              add: Optional[torch.Tensor] = None) -> None:
    """out (C, rows, W) = ReLU of the nine taps' weighted sum (weights ``taps`` (C, 9), reading where ``taps_at``
    says), plus ``add`` (C,) if given; sums and squares (rows, C) of each output row. ``out`` may be channels-last
    (any column stride) where W is at most ``ROW_MAX``."""
    c, rows, width = taps_at.shape
    if out.shape != taps_at.shape or out.dtype != torch.float32 or (out.stride(-1) != 1 and width > ROW_MAX):
        raise ValueError(f"fused.depthwise: out must be float32, shaped as the taps' sources, with unit column stride "
                         f"past {ROW_MAX} columns")
    if add is not None and (add.shape != (c,) or add.dtype != torch.float32 or not add.is_contiguous()):
        raise ValueError("fused.depthwise: add (C,), contiguous float32")
    if taps.shape != (c, 9) or sums.shape != (rows, c) or squares.shape != (rows, c) or \
            sums.stride() != squares.stride() or any(t.dtype != torch.float32 for t in (taps, sums, squares)):
        raise ValueError("fused.depthwise: taps (C, 9), sums and squares (rows, C), float32")
    _module().depthwise(*taps_at.args, taps.data_ptr(), taps.stride(0), taps.stride(1),
                        0 if add is None else add.data_ptr(), out.data_ptr(), out.stride(0), out.stride(1),
                        out.stride(2), sums.data_ptr(), squares.data_ptr(), sums.stride(1), sums.stride(0),
                        c, rows, width, torch.get_num_threads())


def pixels(src: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, dest: np.ndarray) -> None:
    """dest (rows, W, K) uint8 = round(255 sigmoid(weight @ src + bias)) per pixel: the output conv of ``src`` (C,
    rows, W; float32, unit column stride) and the decoder's 8-bit rounding, in one pass. ``dest`` may be strided
    (every other row and column of the image: one parity plane) but each pixel's K values are adjacent."""
    c, rows, width = src.shape
    k = weight.shape[0]
    if src.dtype != torch.float32 or src.device.type != "cpu" or src.stride(-1) != 1:
        raise ValueError("fused.pixels takes a float32 CPU source with unit column stride")
    if weight.shape != (k, c) or bias.shape != (k,) or not weight.is_contiguous() or not bias.is_contiguous() or \
            weight.dtype != torch.float32 or bias.dtype != torch.float32:
        raise ValueError("fused.pixels: weight (K, C) and bias (K,), contiguous float32")
    if dest.dtype != np.uint8 or dest.shape != (rows, width, k) or dest.strides[2] != 1:
        raise ValueError("fused.pixels: dest (rows, W, K) uint8, each pixel's values adjacent")
    _module().pixels(src.data_ptr(), src.stride(0), src.stride(1), weight.data_ptr(), bias.data_ptr(), k, c,
                     dest.ctypes.data, dest.strides[0], dest.strides[1], rows, width, torch.get_num_threads())


def fit_layer(x: torch.Tensor, grad: Optional[torch.Tensor] = None) -> bool:
    """Whether the fit's kernels (``depthwise_backward``, ``relu_statistics`` and the passes after it, ``doubled``)
    can read ``x``, and ``grad`` if given: a channels-last (1, C, H, W) float32 or bfloat16 CPU layer, and a gradient
    of its shape, type and layout."""
    last = torch.channels_last
    layer = x.device.type == "cpu" and x.dim() == 4 and x.shape[0] == 1 \
        and x.dtype in (torch.float32, torch.bfloat16) and x.is_contiguous(memory_format=last)
    return layer and (grad is None or (grad.shape == x.shape and grad.dtype == x.dtype
                                       and grad.is_contiguous(memory_format=last)))


# The layers the C backward takes: since 1.38.1 (one vector of channels at a time) every width from 45, part-filled
# last vectors included: full-size bfloat16 steps at width 45 4% faster than with torch's backward, at 72 6% faster
# than with 1.38.0's C; at 30 level, one bfloat16 layer slower than torch's (9.1 against 7.3 ms), so not taken
# (RESULTS.md, "The depthwise backward one vector of channels at a time"). Until 1.38.0 only multiples of 8 from 48
# paid.
BACKWARD_CHANNELS = (1, 45)  # (multiple of, at least)


def backward_takes(x: torch.Tensor, grad: torch.Tensor) -> bool:
    """Whether ``depthwise_backward`` serves this layer: the kernels on, a layer it can read, of channels that pay
    (``BACKWARD_CHANNELS``)."""
    multiple, least = BACKWARD_CHANNELS
    return available() and fit_layer(x, grad) and x.shape[1] % multiple == 0 and x.shape[1] >= least


def depthwise_backward(x: torch.Tensor, grad: torch.Tensor, taps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The gradients (of x, of taps) of a 3x3 depthwise convolution with replicated edges (model._ReplicateDepthwise)
    of ``x`` (1, C, H, W), channels-last, float32 or bfloat16, by ``taps`` (C, 3, 3), given the output's ``grad``
    (the same layout and type). One pass over the layer where torch's convolution_backward and the edges' own
    autograd take several; grad_taps summed row by row in float64, the same whatever the threads."""
    _, c, h, w = x.shape
    if not fit_layer(x, grad) or taps.shape != (c, 3, 3):
        raise ValueError("fused.depthwise_backward takes (1, C, H, W) channels-last float32 or bfloat16 CPU tensors")
    grad_x = torch.empty_like(x, memory_format=torch.channels_last)
    flat_taps = taps.detach().float().reshape(c, 9).contiguous()
    rows = torch.empty((h, 9, c))
    _module().depthwise_backward(x.data_ptr(), grad.data_ptr(), grad_x.data_ptr(), flat_taps.data_ptr(),
                                 rows.data_ptr(), h, w, c, int(x.dtype == torch.bfloat16), torch.get_num_threads())
    grad_taps = rows.double().sum(dim=0).t().reshape(c, 3, 3).to(taps.dtype)
    return grad_x, grad_taps


# _fused.c's relu_norm passes (its comment says what each computes) and the pixels per row of their partial sums
NORM_MOMENTS, NORM_GRAD_SUMS, NORM_APPLY, NORM_BACKWARD = range(4)
NORM_CHUNK = _fused.NORM_CHUNK if _fused is not None else 256


def _norm_pass(mode: int, x: torch.Tensor, grad: Optional[torch.Tensor] = None, out: Optional[torch.Tensor] = None,
               a: Optional[torch.Tensor] = None, b: Optional[torch.Tensor] = None, s: Optional[torch.Tensor] = None,
               mean: Optional[torch.Tensor] = None, sums: Optional[torch.Tensor] = None) -> None:
    """One of _fused.c's relu_norm passes over ``x`` (its operands checked here, the C function trusts them)."""
    pixels = x.shape[2] * x.shape[3]
    if not fit_layer(x, grad):
        raise ValueError("fused.relu_norm takes (1, C, H, W) channels-last float32 or bfloat16 CPU layers")
    vectors = [t for t in (a, b, s, mean) if t is not None]
    if any(t.shape != (x.shape[1],) or t.dtype != torch.float32 or not t.is_contiguous() for t in vectors):
        raise ValueError("fused.relu_norm: per-channel vectors (C,), contiguous float32")
    ptr = (lambda t: 0 if t is None else t.data_ptr())
    _module().relu_norm(mode, x.data_ptr(), ptr(grad), ptr(out), ptr(a), ptr(b), ptr(s), ptr(mean), ptr(sums),
                        pixels, x.shape[1], int(x.dtype == torch.bfloat16), torch.get_num_threads())


def _channel_sums(mode: int, x: torch.Tensor, mean: torch.Tensor, grad: Optional[torch.Tensor] = None) -> torch.Tensor:
    """(2, C) float64: the pass's two per-chunk float32 sums, summed over the chunks in float64."""
    chunks = -(-x.shape[2] * x.shape[3] // NORM_CHUNK)
    sums = torch.empty(chunks, 2, x.shape[1])
    _norm_pass(mode, x, grad=grad, mean=mean, sums=sums)
    return sums.double().sum(dim=0)


# pixels relu_statistics' shift is the mean of (about; evenly spaced through the layer)
SHIFT_SAMPLE = 1024


def relu_statistics(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per channel of relu(x): the mean and the biased variance (float64), in one pass over the values less a shift,
    the mean of ``SHIFT_SAMPLE`` of its pixels: the shifted sums' variance loses no digits where the shift lies
    within a fraction of a spread of the mean (the sample's mean lies about 1/32 of one from it), where the sum of
    squares less the squared mean would lose them all for a channel whose mean dwarfs its spread."""
    pixels = x.shape[2] * x.shape[3]
    rows = x.permute(0, 2, 3, 1).reshape(pixels, x.shape[1])  # a view: x is channels-last
    shift = rows[::max(1, pixels // SHIFT_SAMPLE)].float().clamp_min(0).mean(dim=0)
    sums, squares = _channel_sums(NORM_MOMENTS, x, shift)
    offset = sums / pixels
    return shift.double() + offset, (squares / pixels - offset * offset).clamp_min(0)


def relu_affine(x: torch.Tensor, mean: torch.Tensor, gain: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """gain * (relu(x) - mean) + shift per channel (float32 (C,) each), in x's type and layout."""
    out = torch.empty_like(x, memory_format=torch.channels_last)
    _norm_pass(NORM_APPLY, x, out=out, a=gain, b=shift, mean=mean)
    return out


def relu_grad_sums(x: torch.Tensor, grad: torch.Tensor, mean: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per channel (float64): the sum of ``grad`` and of ``grad`` times relu(x) - mean (float32 (C,)): centred, so a
    channel whose mean dwarfs its spread loses no digits."""
    sums = _channel_sums(NORM_GRAD_SUMS, x, mean, grad)
    return sums[0], sums[1]


def relu_affine_backward(x: torch.Tensor, grad: torch.Tensor, mean: torch.Tensor, gain: torch.Tensor,
                         slope: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """gain * grad + slope * (relu(x) - mean) + offset where x > 0, else 0, per channel: the gradient of x through
    the ReLU and the normalisation, given its per-channel terms (float32 (C,) each). Centred on the mean, so a
    channel whose mean dwarfs its spread loses no digits."""
    out = torch.empty_like(x, memory_format=torch.channels_last)
    _norm_pass(NORM_BACKWARD, x, grad=grad, out=out, a=gain, b=offset, s=slope, mean=mean)
    return out


def doubled(x: torch.Tensor) -> torch.Tensor:
    """(1, C, 2H, 2W): ``x`` upsampled bilinearly to twice its height and width (torch's bilinear interpolation with
    align_corners False: weights 3/4 and 1/4, edges replicated), in x's type and layout (``fit_layer``)."""
    if not fit_layer(x):
        raise ValueError("fused.doubled takes (1, C, H, W) channels-last float32 or bfloat16 CPU layers")
    _, c, h, w = x.shape
    out = torch.empty((1, c, 2 * h, 2 * w), dtype=x.dtype, memory_format=torch.channels_last)
    _module().doubling(0, x.data_ptr(), out.data_ptr(), h, w, c, int(x.dtype == torch.bfloat16),
                       torch.get_num_threads())
    return out


def doubled_backward(grad: torch.Tensor) -> torch.Tensor:
    """The gradient of ``doubled``'s input, given its output's ``grad`` (1, C, 2H, 2W)."""
    _, c, h2, w2 = grad.shape
    if not fit_layer(grad) or h2 % 2 or w2 % 2:
        raise ValueError("fused.doubled_backward takes a (1, C, 2H, 2W) channels-last float32 or bfloat16 CPU layer")
    out = torch.empty((1, c, h2 // 2, w2 // 2), dtype=grad.dtype, memory_format=torch.channels_last)
    _module().doubling(1, grad.data_ptr(), out.data_ptr(), h2 // 2, w2 // 2, c, int(grad.dtype == torch.bfloat16),
                       torch.get_num_threads())
    return out
