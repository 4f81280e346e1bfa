"""The Deep Decoder network, built from the recipe in a .ddc header.

Hidden layer i: 1x1 conv (no bias, rows scaled to max-abs 1) -> upsample to the next layer's size (all but the
last) -> [format version 2: a 3x3 depthwise conv, one kernel per channel scaled to max-abs 1, replicate
padding] -> ReLU -> channel normalisation with the statistics of the single image and a
learnt scale and shift. Output: 1x1 conv to the image channels, sigmoid. Every layer has the fixed input's width,
or [format version 3] one of its own.

Layer sizes are ceil(H / 2^j), so any H and W work, not only multiples of 2^(depth-1).
The fixed input z and the initial weights come from numpy's PCG64 seeded by the stored
seed: the same file gives the same network on every machine and torch version.
"""
from __future__ import annotations

import contextlib
import functools
import math
from typing import Callable, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from . import fused
from .format import DEPTHWISE_TAPS, UPSAMPLE_MODES, weight_shapes

Z_RANGE = 0.1  # z ~ U[0, 0.1), as in the reference implementation
DEPTHWISE_INIT_NOISE = 0.1  # a depthwise kernel starts as the identity plus U(-0.1, 0.1) per tap
NORM_EPS = 1e-5

Transform = Callable[[str, torch.Tensor], torch.Tensor]


MIN_SIDE = 4  # no layer is smaller than this (or than the image) along either axis


def layer_sizes(height: int, width: int, depth: int) -> list[tuple[int, int]]:
    """Spatial size of each hidden layer's output; the last one is the image size.

    Layer i has side max(ceil(side / 2^(depth-1-i)), min(side, MIN_SIDE)): on small images a
    1x1 layer would leave the normalisation nothing to normalise (every channel becomes a
    constant and the network can only draw a flat colour), so the early layers stop shrinking.
    """
    def side(n: int, i: int) -> int:
        return max(math.ceil(n / 2 ** (depth - 1 - i)), min(n, MIN_SIDE))

    return [(side(height, i), side(width, i)) for i in range(depth)]


def fixed_input(seed: int, net_width: int, size: tuple[int, int]) -> np.ndarray:
    """The network's fixed random input, shape (1, net_width, h, w), float32."""
    rng = np.random.Generator(np.random.PCG64([seed, 0]))
    return (rng.random((1, net_width, *size)) * Z_RANGE).astype(np.float32)


def initial_weights(seed: int, net_width: int, depth: int, channels: int, depthwise: int = 0,
                    widths: tuple[int, ...] = (), out_gain: float = 1.0) -> dict[str, np.ndarray]:
    """Kaiming-uniform convs (bound 1/sqrt(fan_in), torch's default; the output conv's times ``out_gain``,
    ``FitSchedule.out_gain``), unit scale, zero shift; depthwise kernels the identity plus a little noise, from a
    stream of their own, so the other weights start where they would without kernels."""
    rng = np.random.Generator(np.random.PCG64([seed, 1]))
    out = {}
    for name, shape in weight_shapes(net_width, depth, channels, 0, widths):
        if name.startswith("scale"):
            out[name] = np.ones(shape, np.float32)
        elif name.startswith("shift"):
            out[name] = np.zeros(shape, np.float32)
        else:
            bound = 1.0 / math.sqrt(shape[1])
            out[name] = rng.uniform(-bound, bound, shape).astype(np.float32)
            if name == "out" and out_gain != 1:
                out[name] *= np.float32(out_gain)
    kernel_rng = np.random.Generator(np.random.PCG64([seed, 2]))
    for name, shape in weight_shapes(net_width, depth, channels, depthwise, widths):
        if name.startswith("dw"):
            kernel = kernel_rng.uniform(-DEPTHWISE_INIT_NOISE, DEPTHWISE_INIT_NOISE, shape)
            kernel[:, DEPTHWISE_TAPS // 2] += 1.0
            out[name] = kernel.astype(np.float32)
    return {name: out[name] for name, _ in weight_shapes(net_width, depth, channels, depthwise, widths)}


def flat_embedding(weights: dict[str, torch.Tensor], width: int) -> dict[str, torch.Tensor]:
    """A network whose layers have widths of their own (format version 3) as one of ``width`` channels everywhere
    (at least its widest), drawing the same image: the added channels' conv rows and columns, kernels, scales and
    shifts are zero, so they stay zero through the ReLU and the normalisation and feed nothing, and the added
    columns of the first conv meet fixed-input channels ``fixed_input`` draws after the ones the network reads.
    The decoder's renderers serve one width throughout; this is how they serve these networks."""
    def padded(name: str, t: torch.Tensor) -> torch.Tensor:
        if name.startswith("conv"):
            return F.pad(t, (0, width - t.shape[1], 0, width - t.shape[0]))
        if name == "out":
            return F.pad(t, (0, width - t.shape[1]))
        if name.startswith("dw"):
            return F.pad(t, (0, 0, 0, width - t.shape[0]))
        return F.pad(t, (0, width - t.shape[0]))
    return {name: padded(name, t) for name, t in weights.items()}


def source_index(n_in: int, n_out: int, mode: str, device: torch.device):
    """torch's align_corners=False (bilinear) or legacy nearest source indices and weights (read-only)."""
    return tuple(t.to(device) for t in _source_index(n_in, n_out, mode))


@functools.lru_cache(maxsize=256)
def _source_index(n_in: int, n_out: int, mode: str):
    """On the host, computed once per size: a GPU decode spent a tenth of its time here."""
    scale = torch.tensor(n_in / n_out, dtype=torch.float32)
    dst = torch.arange(n_out, dtype=torch.float32)
    if mode == "nearest":
        i0 = torch.floor(dst * scale).long().clamp_max(n_in - 1)
        return i0, i0, torch.ones(n_out), torch.zeros(n_out)
    src = ((dst + 0.5) * scale - 0.5).clamp_min(0)
    i0 = torch.floor(src).long().clamp_max(n_in - 1)
    i1 = torch.clamp_max(i0 + 1, n_in - 1)
    w1 = (src - i0).clamp(0, 1)
    return i0, i1, 1 - w1, w1


@contextlib.contextmanager
def tf32_matmuls(enabled: bool):
    """Let CUDA float32 matrix products use TF32 inside the block (or forbid it), then restore.

    The fit allows it: its 1x1 convs ran through cuDNN, which uses TF32 by default, before they
    became matrix products. The decoder forbids it, so GPU and CPU pixels agree (codec._render)."""
    before = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = enabled
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = before


def unit_rows(w: torch.Tensor) -> torch.Tensor:
    """Divide each output row by its max-abs (a constant for the gradient).

    Every hidden conv is used this way, in fitting and in decoding, so a row's overall
    scale never matters: the quantiser can drop it exactly (see quant.py). Rows the
    decoder reads from a file already have max-abs 1, which this leaves bit-identical.
    """
    return w / w.detach().abs().amax(dim=-1, keepdim=True).clamp_min(1e-12)


def channel_norm(x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """BatchNorm with the statistics of this image (biased variance), never running averages.

    ``x`` is (1, B*C, H, W) or (B, C, H, W): either way each image's channel has its own
    statistics. torch's fused batch_norm kernel: forward plus backward measured 91 ms against
    436 ms for the same formula written as var_mean and four elementwise ops (77 x 768 x 512,
    2 CPU cores). On a GPU, cuDNN's kernel for this layout works one channel per block, so a
    large layer with few channels leaves most of an H100 idle; there ``_ChannelNorm``, whose
    reductions spread over the whole GPU, is faster (see ``MANUAL_NORM_*``).
    """
    # Only a real batch is reshaped: torch 2.13's CPU batch norm returned wrong input gradients for
    # a channels-last (1, C, H, W) view whose batch stride had become C (x.reshape(x.shape) does that)
    flat = x if x.shape[0] == 1 else x.reshape(1, -1, *x.shape[2:])
    pixels = flat[0, 0].numel()
    # a 1x1 image has one value per channel, which F.batch_norm refuses: normalised, it is 0 and the layer its shift
    if pixels == 1 or (x.is_cuda and flat.shape[1] < MANUAL_NORM_MAX_CHANNELS and pixels >= MANUAL_NORM_MIN_PIXELS):
        out = _ChannelNorm.apply(flat, scale, shift)
    elif (not x.is_cuda and flat.dtype == torch.float32 and flat.shape[1] <= ROWS_NORM_MAX_CHANNELS
          and flat.shape[1] % ROWS_NORM_TORCH_MULTIPLE and flat.numel() >= ROWS_NORM_MIN_VALUES
          and torch.get_num_threads() >= ROWS_NORM_MIN_THREADS
          and flat.permute(0, 2, 3, 1).is_contiguous()):
        out = _PixelRowsNorm.apply(flat, scale, shift)
    else:
        out = F.batch_norm(flat, None, None, scale, shift, training=True, momentum=0.0, eps=NORM_EPS)
    return out if out.shape == x.shape else out.view(x.shape)


# On an H100 (768x512, one image, steps replayed as CUDA graphs): a full-size step at width 33 took
# 2.0 ms with _ChannelNorm against 2.7 with cuDNN, at width 77 3.8 against 3.9; half-size steps and
# 8 images batched (616 channels) were faster with cuDNN (RESULTS.md, "On an H100").
MANUAL_NORM_MAX_CHANNELS = 128
MANUAL_NORM_MIN_PIXELS = 1 << 17


# CPU, float32, channels-last layers of at most this many channels, not a multiple of ``ROWS_NORM_TORCH_MULTIPLE``, and
# at least this many values, fitted on at least this many threads, take ``_PixelRowsNorm``. On 2 threads of an AVX2 EPYC
# (session 54) torch's channels-last batch norm, forward and backward, took 1.0 to 1.6 ns per value where the channels
# were a multiple of 16 and 2.2 to 8.8 ns at the other widths up to 45 (5 to 8.8 up to 21 channels), slower than on one
# thread, and its times scattered from run to run; _PixelRowsNorm's 2.3 to 4.3 ns (samples/perf-cpu/norm_widths.txt).
# Whole steps were faster with it at 17 to 39 channels and slower at 16 (rows_norm_fresh.txt); whole encodes in
# RESULTS.md, "The normalisation on float32 CPUs". On one thread torch's is the faster: single-thread fits keep it.
ROWS_NORM_MAX_CHANNELS = 40
ROWS_NORM_TORCH_MULTIPLE = 16
ROWS_NORM_MIN_VALUES = 1 << 20
ROWS_NORM_MIN_THREADS = 2
ROWS_FOLD = 8  # pixels summed side by side per row of the column sums' view


def _norm_backward_terms(grad_sum: torch.Tensor, grad_x_sum: torch.Tensor, mean: torch.Tensor, rstd: torch.Tensor,
                         scale: torch.Tensor, n: int) -> tuple[torch.Tensor, ...]:
    """Per channel, from the sums of the gradient and of the gradient times the input over ``n`` values: (gain, slope,
    offset, sum of grad * x_hat), the input's gradient being gain * grad + slope * x + offset."""
    grad_shift_dot = (grad_x_sum - mean * grad_sum) * rstd  # sum of grad * x_hat: the scale's gradient
    gain = scale * rstd
    slope = -(gain / n) * grad_shift_dot * rstd
    offset = -(gain / n) * grad_sum - slope * mean
    return gain, slope, offset, grad_shift_dot


def _column_sums(rows: torch.Tensor) -> torch.Tensor:
    """Per-channel sums of a (pixels, C) matrix. Summed as (pixels / 8, 8 C) rows, then the eight folded: on 2 cores,
    6.0 against torch's 10.0 ms for 393,216 x 72, 0.3 against 1.0 for 98,304 x 21 (samples/perf-cpu/column_sums.txt)."""
    p, c = rows.shape
    if p % ROWS_FOLD:
        return rows.sum(dim=0)
    return rows.view(p // ROWS_FOLD, ROWS_FOLD * c).sum(dim=0).view(ROWS_FOLD, c).sum(dim=0)


def _pixel_rows(t: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) as its (N H W, C) matrix: a view of a channels-last tensor, a copy of any other."""
    return t.permute(0, 2, 3, 1).reshape(-1, t.shape[1])


def _from_pixel_rows(rows: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """The inverse of ``_pixel_rows`` for a contiguous matrix: a channels-last (N, C, H, W) view of it."""
    return rows.view(shape[0], shape[2], shape[3], shape[1]).permute(0, 3, 1, 2)


class _PixelRowsNorm(torch.autograd.Function):
    """``F.batch_norm`` in training mode on a channels-last float32 (1, C, H, W) on the CPU, from column sums over the
    (H W, C) matrix the layout is: the mean, then the variance of the centred rows (two passes, as torch's), and in the
    backward the sums of the gradient and of the gradient times the input, with ``_ChannelNorm.backward``'s formula
    (``_norm_backward_terms``). Only the summation order differs from torch's; narrow layers on several threads ran
    faster this way (``ROWS_NORM_*``)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
        rows = _pixel_rows(x)  # a view: x is channels-last
        mean = _column_sums(rows) / rows.shape[0]
        centred = rows - mean  # two passes, as torch's: no cancellation in the variance
        rstd = torch.rsqrt(_column_sums(centred * centred) / rows.shape[0] + NORM_EPS)
        out = torch.addcmul(shift, centred, scale * rstd, out=centred)
        ctx.save_for_backward(x, mean, rstd, scale)
        return _from_pixel_rows(out, x.shape)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, mean, rstd, scale = ctx.saved_tensors
        rows = _pixel_rows(x)
        grads = _pixel_rows(grad)  # a copy only if torch handed a gradient in another layout
        grad_sum = _column_sums(grads)
        gain, slope, offset, grad_shift_dot = _norm_backward_terms(grad_sum, _column_sums(grads * rows), mean, rstd,
                                                                   scale, rows.shape[0])
        dx = torch.addcmul(offset, grads, gain).addcmul_(rows, slope)
        return _from_pixel_rows(dx, x.shape), grad_shift_dot, grad_sum


class _ChannelNorm(torch.autograd.Function):
    """``F.batch_norm`` in training mode on (1, C, H, W), from torch's generic reductions and two
    fused multiply-adds each way."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
        var, mean = torch.var_mean(x, dim=(0, 2, 3), unbiased=False)
        rstd = torch.rsqrt(var + NORM_EPS)
        gain = scale * rstd
        ctx.save_for_backward(x, mean, rstd, scale)
        return torch.addcmul((shift - mean * gain)[None, :, None, None], x, gain[None, :, None, None])

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, mean, rstd, scale = ctx.saved_tensors
        grad_sum = grad.sum(dim=(0, 2, 3))
        gain, slope, offset, grad_shift_dot = _norm_backward_terms(grad_sum, (grad * x).sum(dim=(0, 2, 3)), mean, rstd,
                                                                   scale, x[0, 0].numel())
        dx = torch.addcmul(offset[None, :, None, None], grad, gain[None, :, None, None])
        return dx.addcmul_(x, slope[None, :, None, None]), grad_shift_dot, grad_sum


class _ReluNorm(torch.autograd.Function):
    """``channel_norm(F.relu(x), scale, shift)`` on a channels-last (1, C, H, W) float32 or bfloat16 CPU layer, in
    _fused.c's passes (fused.relu_statistics and the others): the statistics in one reading pass, the output in
    another; backward, the two sums in one pass and the gradient in another. torch's ReLU and batch norm take more
    passes, and its bfloat16 batch norm ran at a fraction of the memory's speed (``FUSED_NORM_MIN_VALUES``). The
    chunks' float32 sums are added in float64, so the result does not depend on the threads. Only x is saved: the
    ReLU is recomputed from it."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
        mean, var = fused.relu_statistics(x)
        rstd = torch.rsqrt(var + NORM_EPS)
        out = fused.relu_affine(x, mean.float(), (scale.double() * rstd).float(), shift.float().contiguous())
        ctx.save_for_backward(x, mean, rstd, scale)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, mean, rstd, scale = ctx.saved_tensors
        grad = grad.contiguous(memory_format=torch.channels_last)
        mean32 = mean.float()
        grad_sum, grad_centred_sum = fused.relu_grad_sums(x, grad, mean32)
        n = x.shape[2] * x.shape[3]
        # the uncentred sum _norm_backward_terms takes, rebuilt in float64, where its centring again loses nothing
        gain, slope, _, grad_shift_dot = _norm_backward_terms(grad_sum, grad_centred_sum + mean * grad_sum, mean, rstd,
                                                              scale.double(), n)
        dx = fused.relu_affine_backward(x, grad, mean32, gain.float(), slope.float(), (-(gain / n) * grad_sum).float())
        return dx, grad_shift_dot.to(scale.dtype), grad_sum.to(scale.dtype)


# CPU layers of at least this many values take _ReluNorm where the C kernels are built (fused.fit_layer)
FUSED_NORM_MIN_VALUES = 1 << 16


def relu_norm(x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """``channel_norm(F.relu(x), scale, shift)``: a hidden layer's ReLU and normalisation, fused on a CPU
    (``_ReluNorm``) for layers it serves."""
    if (x.numel() >= FUSED_NORM_MIN_VALUES and x.shape[2] * x.shape[3] > 1 and fused.available()
            and fused.fit_layer(x)):
        return _ReluNorm.apply(x, scale, shift)
    return channel_norm(F.relu(x), scale, shift)


class DeepDecoder(torch.nn.Module):
    """f(z) for a fixed z; the parameters are the weights in ``weight_shapes`` order."""

    def __init__(self, height: int, width: int, channels: int, net_width: int, depth: int,
                 seed: int, upsample: str = "bilinear", depthwise: int = 0, widths: tuple[int, ...] = (),
                 out_gain: float = 1.0) -> None:
        super().__init__()
        if upsample not in UPSAMPLE_MODES:
            raise ValueError(f"unknown upsampling mode {upsample!r}")
        self.sizes = layer_sizes(height, width, depth)
        self.upsample = upsample
        # channels-last, the CPU's layout (stacked_layout); on a GPU run_layers copies it to its own
        z = torch.from_numpy(fixed_input(seed, net_width, self.sizes[0]))
        self.register_buffer("z", z.contiguous(memory_format=torch.channels_last))
        init = initial_weights(seed, net_width, depth, channels, depthwise, widths, out_gain)
        self.weights = torch.nn.ParameterDict(
            {name: torch.nn.Parameter(torch.from_numpy(value)) for name, value in init.items()})
        self.frozen = FrozenPrefix()

    def forward(self, transform: Optional[Transform] = None, rows: Optional[torch.Tensor] = None,
                coarse: int = 0) -> torch.Tensor:
        """Render the image (1, C, H, W) in [0, 1]; ``transform`` maps each weight (e.g. fake
        quantisation); ``rows`` renders only those rows, ``coarse`` renders at half size, 2 at quarter size (see
        ``run_layers``)."""
        w = {n: (transform(n, p) if transform else p) for n, p in self.weights.items()}
        return self.frozen.render(self.z, w, self.sizes, self.upsample, 1, rows, coarse, transform)


class BatchedDeepDecoder(torch.nn.Module):
    """Several networks of one shape fitted as one, for throughput on a GPU.

    One kernel launch serves all of them (``run_layers``: on a CPU the images' channels are
    stacked and every 1x1 conv is grouped, on a GPU the images are the batch axis and the
    convs batched matrix products), and batch norm's per-channel statistics stay per image.
    Each weight has a leading image axis; Adam is elementwise, so fitting this is fitting
    each network on its own.
    """

    def __init__(self, models: list[DeepDecoder]) -> None:
        super().__init__()
        first = models[0]
        if any(m.sizes != first.sizes or m.upsample != first.upsample or m.z.shape != first.z.shape
               or m.weights.keys() != first.weights.keys()
               or any(m.weights[n].shape != p.shape for n, p in first.weights.items()) for m in models):
            raise ValueError("batched networks must all have the same shape")
        self.sizes, self.upsample, self.batch = first.sizes, first.upsample, len(models)
        z = torch.cat([m.z for m in models], dim=1)
        self.register_buffer("z", z.contiguous(memory_format=torch.channels_last))
        self.weights = torch.nn.ParameterDict(
            {n: torch.nn.Parameter(torch.stack([m.weights[n].detach() for m in models])) for n in first.weights})
        self.frozen = FrozenPrefix()

    def image_weights(self, index: int) -> dict[str, torch.Tensor]:
        """Network ``index``'s weights, shaped as in a DeepDecoder."""
        return {n: p[index].detach() for n, p in self.weights.items()}

    def forward(self, transform: Optional[Transform | Sequence[Transform]] = None, rows: Optional[torch.Tensor] = None,
                coarse: int = 0) -> torch.Tensor:
        """Render all images (B, C, H, W); ``transform`` is applied to each network's weights separately (a
        sequence: one per network, e.g. each quantised to its own levels)."""
        per_image = list(transform) if isinstance(transform, (list, tuple)) else [transform] * self.batch
        w = {n: (torch.stack([per_image[b](n, p[b]) for b in range(self.batch)]) if transform else p)
             for n, p in self.weights.items()}
        return self.frozen.render(self.z, w, self.sizes, self.upsample, self.batch, rows, coarse, transform)


class _Doubling(torch.autograd.Function):
    """``_upsample`` of a channels-last (1, C, H, W) float32 or bfloat16 CPU layer to twice its height and width,
    bilinearly, forward and backward in one pass each in C (fused.doubled): torch's took several times as long as a
    copy of its output (``FUSED_DOUBLING_MIN_VALUES``)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        return fused.doubled(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        return fused.doubled_backward(grad.contiguous(memory_format=torch.channels_last))


# CPU layers of at least this many values (the input's) take _Doubling where the C kernels are built
FUSED_DOUBLING_MIN_VALUES = 1 << 14


def _upsample(x: torch.Tensor, size: tuple[int, int], mode: str) -> torch.Tensor:
    if (mode == "bilinear" and tuple(size) == (2 * x.shape[2], 2 * x.shape[3]) and x.numel() >= FUSED_DOUBLING_MIN_VALUES
            and fused.available() and fused.fit_layer(x)):
        return _Doubling.apply(x)
    return F.interpolate(x, size=size, mode=mode, align_corners=False if mode == "bilinear" else None)


def upsample_rows(x: torch.Tensor, size: tuple[int, int], rows: torch.Tensor, mode: str) -> torch.Tensor:
    """``_upsample(x, size)[:, :, rows]`` without computing the other rows (up to float rounding)."""
    wide = _upsample(x, (x.shape[2], size[1]), mode)  # height unchanged: weights 1 and 0, exact
    i0, i1, w0, w1 = source_index(x.shape[2], size[0], mode, x.device)
    out = wide[:, :, i0[rows]] * w0[rows, None] + wide[:, :, i1[rows]] * w1[rows, None]
    channels_last = x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
    return out.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)


def coarse_size(sizes: list[tuple[int, int]], levels: int = 1) -> tuple[int, int]:
    """The image size ``run_layers(coarse=levels)`` renders: the size ``levels`` upsamplings below the image."""
    return sizes[max(0, len(sizes) - 1 - levels)]


def stacked_layout(device: torch.device) -> bool:
    """How ``run_layers`` lays out activations on ``device``.

    Stacked (CPU): one (1, B*C, H, W) tensor, channels-last, hidden convs grouped per image;
    1x1 convs, batch norm and upsampling all ran faster channels-last on 2 cores (a 768x512
    step 1.25 s -> 0.62 s). Batched (GPU): (B, C, H, W) contiguous, hidden convs as batched
    matrix products. On an H100 the grouped convs made 8 images fitted together slower per
    image than one alone (a full-size step at width 77: 5.7 against 4.7 ms); batched matrix
    products and the contiguous layout took it to 3.6 ms (RESULTS.md, "On an H100").
    """
    return device.type != "cuda"


def _conv1x1(x: torch.Tensor, weight: torch.Tensor, groups: int, stacked: bool) -> torch.Tensor:
    """Each image's 1x1 conv: ``weight`` (out, in) or (groups, out, in)."""
    if stacked:
        return F.conv2d(x, weight.reshape(-1, weight.shape[-1], 1, 1), groups=groups)
    b, c, h, w = x.shape
    return torch.matmul(weight.reshape(groups, -1, c), x.view(b, c, h * w)).view(b, -1, h, w)


def _depthwise(x: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Each channel convolved with its own 3x3 kernel (``kernels`` (..., C, 9), any leading image axis
    flattened with the channels), edges replicated, so the layer's size is kept. Large layers on a CPU
    go through ``_ReplicateDepthwise`` (no padded copy), the others through a replicate-padded copy."""
    b, c, h, w = x.shape
    flat = x if b == 1 else x.reshape(1, b * c, h, w)
    kernels = kernels.to(x.dtype)  # under autocast x may be bfloat16 (FitSchedule.bf16)
    if x.device.type == "cpu" and 4 * x.numel() >= RING_MIN_BYTES:
        out = _ReplicateDepthwise.apply(flat, kernels.reshape(-1, 3, 3))
    elif torch.is_grad_enabled() and fused.backward_takes(flat, flat):
        out = _PaddedDepthwise.apply(flat, kernels.reshape(-1, 3, 3))
    else:
        out = padded_depthwise(flat, kernels.reshape(-1, 3, 3))
    return out if b == 1 else out.view(b, c, h, w)


def padded_depthwise(x: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """The 3x3 depthwise convolution of (1, C, H, W) ``x`` by ``taps`` (C, 3, 3) through a replicate-padded copy."""
    return F.conv2d(_replicate_pad(x), taps[:, None], groups=x.shape[1])


def _replicate_pad(x: torch.Tensor) -> torch.Tensor:
    """``x`` with its edges replicated one pixel out, in ``x``'s own dtype. CPU autocast runs replication padding in
    float32, so under bfloat16 autocast (FitSchedule.bf16) the padded copy was written in float32 and cast back
    for the convolution, two extra passes over the layer; copying bfloat16 values is exact, so the forward is the
    same (only the backward's sums over the edge rows round to bfloat16). Single-thread steps at 384x256, width 21:
    full-size 44 against 48 ms; at 768x512, width 45: half-size 119 against 143 ms, quarter-size 37 against 47
    (samples/perf-cpu/pad_dtype_step.txt); single-thread encodes side by side 1 to 9% faster at the same PSNR
    (RESULTS.md, "bfloat16 fitting")."""
    with torch.autocast("cpu", enabled=False):
        return F.pad(x, (1, 1, 1, 1), mode="replicate")


# Padding copies the whole layer, and its backward copies the gradient back: for a large layer two passes over
# memory that does not stay in cache. On 2 CPU cores a full-size fitting step (768x512, -k 32, width 72, layers of
# 113 MB) took a median 522 ms instead of 631 without the copies (2 threads; 916 instead of 950 with 1), while at
# 384x256 (width 33, layers up to 13 MB) the ring's extra small ops made it 94 instead of 91 ms; 32 MiB lies
# between the two, not tuned further. Whole encodes gain less: 40 + 8 steps of a -k 32 fit took 24.9 s against
# 25.5 (medians of 4 rounds in fresh processes; samples/perf-cpu/depthwise_training.txt)
RING_MIN_BYTES = 1 << 25


def _ring(strips: tuple[torch.Tensor, ...], taps: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """What the replicated ring around a layer adds to a 3x3 depthwise convolution beyond zero padding, from
    its edge ``strips`` (top row, bottom row, left column, right column, each (1, C, ., .)) and ``taps``
    (C, 3, 3): the ring's rows (corners included) reach the top and bottom rows through the kernels' first
    and last rows, its columns (corners excluded) the left and right columns through their first and last
    columns."""
    c = taps.shape[0]
    top, bottom, left, right = strips
    return (F.conv2d(F.pad(top, (1, 1, 0, 0), mode="replicate"), taps[:, None, :1], groups=c),
            F.conv2d(F.pad(bottom, (1, 1, 0, 0), mode="replicate"), taps[:, None, 2:], groups=c),
            F.conv2d(left, taps[:, None, :, :1], groups=c, padding=(1, 0)),
            F.conv2d(right, taps[:, None, :, 2:], groups=c, padding=(1, 0)))


def _edge_views(t: torch.Tensor) -> tuple[torch.Tensor, ...]:
    return t[:, :, :1], t[:, :, -1:], t[:, :, :, :1], t[:, :, :, -1:]


class _ReplicateDepthwise(torch.autograd.Function):
    """A 3x3 depthwise convolution of (1, C, H, W) by ``taps`` (C, 3, 3) with replicated edges, as a zero-padded convolution plus
    the ring's contribution on the edge rows and columns (``_ring``). Padding first copies the whole layer
    and its backward copies the gradient back, a full pass each way over the layer (``RING_MIN_BYTES``).
    The ring's part is computed on the edge strips alone, forward and backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x, taps)
        out = F.conv2d(x, taps[:, None], groups=x.shape[1], padding=1)
        for edge, extra in zip(_edge_views(out), _ring(_edge_views(x), taps)):
            edge += extra
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, taps = ctx.saved_tensors
        if fused.backward_takes(x, grad):  # one pass in C (fused.depthwise_backward), edges included
            return fused.depthwise_backward(x, grad, taps)
        grad_x, grad_taps, _ = torch.ops.aten.convolution_backward(
            grad, x, taps[:, None], None, [1, 1], [1, 1], [1, 1], False, [0, 0], x.shape[1], [True, True, False])
        with torch.enable_grad():  # the ring's part, on the edge strips only
            strips = [s.detach().requires_grad_() for s in _edge_views(x)]
            leaf = taps.detach().requires_grad_()
            *strip_grads, ring_taps = torch.autograd.grad(_ring(tuple(strips), leaf), strips + [leaf],
                                                          _edge_views(grad))
        for edge, extra in zip(_edge_views(grad_x), strip_grads):
            edge += extra
        return grad_x, grad_taps[:, 0] + ring_taps


class _PaddedDepthwise(torch.autograd.Function):
    """``_depthwise``'s layers below ``RING_MIN_BYTES`` that the C backward takes (``fused.backward_takes``): the
    forward through a replicate-padded copy as before, the backward in one C pass (``fused.depthwise_backward``,
    edges included) instead of torch's convolution backward and the padding's: half-size bfloat16 steps at width 72
    and 45 about 20% faster, quarter-size 16% (RESULTS.md, "The depthwise backward one vector of channels at a
    time")."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x, taps)
        return padded_depthwise(x, taps)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, taps = ctx.saved_tensors
        return fused.depthwise_backward(x, grad.contiguous(memory_format=torch.channels_last), taps)


def run_layers(z: torch.Tensor, w: dict[str, torch.Tensor], sizes: list[tuple[int, int]], upsample: str,
               groups: int = 1, rows: Optional[torch.Tensor] = None, coarse: int = 0,
               stacked: Optional[bool] = None, start: int = 0) -> torch.Tensor:
    """The network on ``groups`` stacked images: weights (out, in) or (groups, out, in) -> (groups, C, H, W).

    ``z`` is (1, groups * width, h, w); ``stacked`` picks the layout (default: ``stacked_layout``
    of z's device). With ``rows`` (indices into the image's rows) only those rows of the
    full-resolution layers are computed, and their normalisation statistics come from those
    rows alone: the cheap approximation that fitting with ``row_fraction`` < 1 trades for speed.
    With ``coarse`` the last upsampling is skipped, so the last two layers run at
    ``coarse_size(sizes)``, a quarter of the work: the same weights draw a half-size image,
    which coarse-to-fine fitting (``FitSchedule.coarse_fraction``) fits first. ``coarse=2`` skips the
    last two, for a quarter-size image (``FitSchedule.quarter_fraction``).
    Hidden layer i has a depthwise kernel where ``w`` has ``dw{i}``. A kernel reads its neighbours'
    rows, so with kernels ``rows`` renders every row (statistics of the whole image) and returns the
    asked ones: none of the saving.
    With ``start`` > 0, ``z`` is not the fixed input but what ``hidden_layers`` returned for the layers below
    ``start`` (``FrozenPrefix``), and only the layers from ``start`` on run.
    """
    if rows is not None and any(name.startswith("dw") for name in w):
        return run_layers(z, w, sizes, upsample, groups, coarse=coarse, stacked=stacked, start=start)[:, :, rows]
    if stacked is None:
        stacked = stacked_layout(z.device)
    x = hidden_layers(z, w, sizes, upsample, groups, range(start, len(sizes)), rows, coarse, stacked)
    y = torch.sigmoid(_conv1x1(x, w["out"], groups, stacked))
    return y.view(groups, -1, *y.shape[2:])


def hidden_layers(z: torch.Tensor, w: dict[str, torch.Tensor], sizes: list[tuple[int, int]], upsample: str,
                  groups: int, layers: range, rows: Optional[torch.Tensor] = None, coarse: int = 0,
                  stacked: Optional[bool] = None) -> torch.Tensor:
    """``run_layers``' hidden ``layers`` (consecutive), from the fixed input ``z`` if they start at 0, else from
    what this returned for the layers below; the activation they end with, in ``stacked``'s layout."""
    if stacked is None:
        stacked = stacked_layout(z.device)
    x = z if stacked or layers.start else z.reshape(groups, -1, *z.shape[2:]).contiguous()
    for i in layers:
        x = _conv1x1(x, unit_rows(w[f"conv{i}"]), groups, stacked)
        if i + 1 < len(sizes) and not (coarse and i + 1 + coarse >= len(sizes)):
            if rows is not None and i + 2 == len(sizes):
                x = upsample_rows(x, sizes[i + 1], rows, upsample)
            else:
                x = _upsample(x, sizes[i + 1], upsample)
        if f"dw{i}" in w:
            x = _depthwise(x, unit_rows(w[f"dw{i}"]))
        x = relu_norm(x, w[f"scale{i}"].reshape(-1), w[f"shift{i}"].reshape(-1))
    return x


class FrozenPrefix:
    """A network's lowest hidden layers held fixed, so a forward pass starts from their stored output.

    Progressive rounding (fit._progressive_rounding) fits the layers above the ones it has rounded: the rounded
    layers and the fixed input do not change, so neither does their output, yet every step recomputed it, and by the
    last stages the layers it spans include the expensive full-size ones (at 768x512, -k 32, float32, the stage took
    113.6 s instead of 126.3 on 2 threads: RESULTS.md, "The rounding stage"). ``hold(n)`` keeps the first ``n`` layers'
    output once it is computed, per autocast state, since a bfloat16 step computes other values than a float32 check;
    ``hold(0)`` drops it. The stored activation is what the pass would compute, so the fit is the same computation.
    Only whole full-size renders with untransformed weights use it; the caller must leave those layers' weights and
    ``z`` as they are while it holds them."""

    def __init__(self) -> None:
        self.layers, self._stored = 0, {}

    def hold(self, layers: int) -> None:
        self.layers, self._stored = layers, {}

    def render(self, z: torch.Tensor, w: dict[str, torch.Tensor], sizes: list[tuple[int, int]], upsample: str,
               groups: int, rows: Optional[torch.Tensor], coarse: int, transform: Optional[Transform]) -> torch.Tensor:
        """``run_layers`` of the network, from the stored activation where it applies."""
        if not self.layers or rows is not None or coarse or transform is not None:
            return run_layers(z, w, sizes, upsample, groups, rows=rows, coarse=coarse)
        key = torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else None
        if key not in self._stored:
            with torch.no_grad():
                self._stored[key] = hidden_layers(z, w, sizes, upsample, groups, range(self.layers))
        return run_layers(self._stored[key], w, sizes, upsample, groups, start=self.layers)
