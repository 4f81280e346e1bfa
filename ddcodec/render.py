"""The decoder's renderer: the Deep Decoder evaluated in horizontal bands with bounded memory.

Every layer is pointwise (1x1 conv, ReLU, per-channel affine) except the upsampling, which
reads at most two neighbouring rows, so any band of output rows needs only a band of rows
of each lower layer. The channel normalisation is the one global step: each layer's
statistics take a pass over that layer, band by band, before the layer above can be
evaluated. The normalisation is then folded into the next 1x1 conv (its weights times the
per-channel gain, plus a bias), so no normalised copy of a layer is ever made.

Layers whose activations fit ``cache_bytes`` are kept between passes, lowest first (by default
every layer, where that costs at most ``FULL_CACHE_BYTES``). A kept
level's upsampled ReLU output stays in the buffer the next conv then overwrites (each band
written by the matrix product straight over rows already read), so no level is upsampled
twice and no band is copied (RESULTS.md, "Performance"). The others are recomputed band by band
from the highest kept layer below. The last level, which is never upsampled, takes its ReLU
and statistics in the same pass that computes it. On a CPU, where every level is kept, the last upsampling is an
exact doubling and the last two layers have kernels, those two levels are computed as the four parity planes of
the full-size image instead (polyphase.py): the doubling and the kernel after it become one kernel per parity.
Where the C extension is built (fused.py), a CPU decode's depthwise kernels, ReLUs and statistics, and the output conv
with its 8-bit rounding, run fused in C for the levels kept in memory: the same pixels up to one level, rarely.
Statistics are summed per image row (float32, one row at a time, the same whatever the band) and the rows reduced
once in float64, so the result does not depend on the band height: a one-band render and a
many-band render give bit-identical pixels on CPU (up to the matrix library's choice of kernel
for another band height, which was seen to move a rare pixel by one level).
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from .model import NORM_EPS, fixed_input, layer_sizes, run_layers, source_index, unit_rows
from . import fused
from .polyphase import convolve_planes, doubled_kernels, kernel_taps, plane_taps

DEFAULT_CACHE_BYTES = 1 << 29  # 512 MiB of kept activations; a 768x512 image at k=32 needs ~160 MiB
# ... unless keeping every level costs at most this: then every level is kept. Otherwise the last level is
# computed twice (statistics, then image) and, with kernels, the level below three times: a 1024x1024 decode
# at k=32 (every level: 698 MiB) took 3.2x as long with 512 MiB (samples/perf-cpu/decode_kernels_sizes.txt).
# Images that need more (4096x4096: tens of GB) keep the 512 MiB budget and its peak memory.
FULL_CACHE_BYTES = 1 << 30
# On a GPU memory is plentiful and every band costs kernel launches: whole layers at once. Images
# small enough are not banded at all there (render_whole); these serve the large ones (4096x4096 at
# k=503 on an H100: 177 ms, at most 6.0 GB).
GPU_CACHE_BYTES = 1 << 32
GPU_BAND_BYTES = 1 << 30
BAND_BYTES = 1 << 22  # 4 MiB bands stay in cache: 176 ms against 393 ms with 32 MiB bands (768x512, k=32, 2 cores)
# CPU only: matrix products and the strided adds of the upsampling ran faster with whole
# 8-float vectors per pixel (77 -> 80 and 54 -> 56 channels); 34 -> 40 lost, so small paddings
# only (samples/perf-cpu/decode_pad_limit_768x512.txt).
CHANNEL_MULTIPLE = 8
PAD_LIMIT = 0.1
# CPU only: the last two levels as parity planes where they allow it (polyphase.py); False takes the general path
POLYPHASE = True
# ... in bands of this many bytes (four planes' half rows): at 768x512, k=32, 8 and 16 MiB decoded 8 to 11% faster
# than the general path, 4 and 32 MiB about as fast as it (samples/perf-cpu/decode_planes.txt)
PLANE_BAND_BYTES = 1 << 23
MIN_BAND_ROWS = 8  # thinner bands would recompute the layer below twice over for their halo rows
# GPU only: images whose widest activation (width x H x W floats) is at most this render in one pass
WHOLE_IMAGE_BYTES = 1 << 30


def _upsampling(n_in: int, n_out: int, mode: str, device: torch.device) -> tuple:
    """source_index's indices and weights, and whether the step is an exact bilinear doubling.

    They are moved to ``device`` only where they are gathered with: exact doublings read strided
    views, and each copy to a GPU waits for it (tens of microseconds, in a 10 ms decode)."""
    doubling = mode == "bilinear" and n_out == 2 * n_in
    return source_index(n_in, n_out, mode, torch.device("cpu") if doubling else device) + (doubling,)


def _to_device(weights: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    """The weights as float32 on ``device``, in one copy (views of one tensor)."""
    flat = torch.cat([t.reshape(-1).float() for t in weights.values()]).to(device)
    sizes = [t.numel() for t in weights.values()]
    return {n: part.view(t.shape) for (n, t), part in zip(weights.items(), flat.split(sizes))}


def _along(t: torch.Tensor, dim: int, start: int, stop: int, step: int = 1) -> torch.Tensor:
    return t[(slice(None),) * dim + (slice(start, stop, step),)]


def _interpolate(src: torch.Tensor, dim: int, index: tuple, o0: int, o1: int, s0: int,
                 out: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Outputs o0..o1-1 along ``dim`` of the upsampling that ``index`` (model.source_index)
    describes, from ``src``, whose first entry along ``dim`` is source s0.

    Every output is lerp(src[i0], src[i1], w1), one fused kernel. Exact doubling (bilinear,
    twice the size: sources j - 1 and j with w1 = 0.75, or j and j + 1 with w1 = 0.25) reads
    strided views instead of gathered copies. Both paths give the same bits
    (tests/test_render.py): lerp(a, b, 0.75) is b - 0.25 (b - a) and lerp(b, a, 0.25) is
    b + 0.25 (a - b), and a quarter of a difference is exact in binary floating point."""
    i0, i1, _, w1, doubling = index
    shape = list(src.shape)
    shape[dim] = o1 - o0
    if out is None:
        out = torch.empty(shape, dtype=src.dtype, device=src.device)
    if not doubling:
        lo = _along(i0, 0, o0, o1) - s0
        hi = _along(i1, 0, o0, o1) - s0
        view = [1] * src.dim()
        view[dim] = o1 - o0
        return torch.lerp(src.index_select(dim, lo), src.index_select(dim, hi), _along(w1, 0, o0, o1).view(view),
                          out=out)
    # even outputs 2j: lerp(src[j], src[j - 1], 1/4), except output 0, which is src[0] (weights 1, 0)
    j0, j1 = (o0 + 1) // 2, (o1 + 1) // 2
    if j0 == 0 and j1 > 0:
        _along(out, dim, -o0, 1 - o0).copy_(_along(src, dim, -s0, 1 - s0))
        j0 = 1
    if j1 > j0:
        torch.lerp(_along(src, dim, j0 - s0, j1 - s0), _along(src, dim, j0 - 1 - s0, j1 - 1 - s0), 0.25,
                   out=_along(out, dim, 2 * j0 - o0, 2 * j1 - o0, 2))
    # odd outputs 2j + 1: lerp(src[j], src[j + 1], 1/4), except the last, which is src[last] (both sources)
    j0, j1 = o0 // 2, o1 // 2
    last = i0.shape[0] // 2 - 1
    inner = min(j1, last)
    if inner > j0:
        torch.lerp(_along(src, dim, j0 - s0, inner - s0), _along(src, dim, j0 + 1 - s0, inner + 1 - s0), 0.25,
                   out=_along(out, dim, 2 * j0 + 1 - o0, 2 * inner + 1 - o0, 2))
    if j0 <= last < j1:
        _along(out, dim, 2 * last + 1 - o0, 2 * last + 2 - o0).copy_(_along(src, dim, last - s0, last + 1 - s0))
    return out


def _convolve_channels_first(padded: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """(C, rows, W): each channel of ``padded`` (C, rows + 2, W), halo rows included, convolved with its
    3x3 kernel (``taps`` (C, 9), row-major), the edge columns replicated. Taps (K, C, 9) give (K, C, rows, W):
    K kernels per channel over the same band, each op serving all K (fewer, larger ops).

    Nine multiply-adds over the band, each along whole contiguous rows: on 2 cores, 0.65 ns per output
    value for an 18-row band of 72 channels at 768 columns, where torch's depthwise convolution took 1.24
    channels-first and 8.5 on a channels-last view (samples/perf-cpu/depthwise_timing.py). The band stays
    in cache between them."""
    rows = padded.shape[1] - 2
    out = torch.mul(padded[:, 1:rows + 1], taps[..., 4, None, None])
    for dy in range(3):
        src = padded[:, dy:dy + rows]
        for dx in range(3):
            weight = taps[..., 3 * dy + dx, None, None]
            if dx == 1:
                if dy != 1:
                    out.addcmul_(src, weight)
            elif dx == 0:  # the left neighbour; the first column's is itself
                out[..., 1:].addcmul_(src[..., :-1], weight)
                out[..., :1].addcmul_(src[..., :1], weight)
            else:
                out[..., :-1].addcmul_(src[..., 1:], weight)
                out[..., -1:].addcmul_(src[..., -1:], weight)
    return out


class BandRenderer:
    """Render one network (weights already dequantised) on ``device``, ``band_rows`` rows at a time.

    Activations are laid out (rows, columns, channels), so a 1x1 conv is one matrix product
    and upsampling moves whole channel vectors (strided views for exact doublings, gathers
    otherwise). For each level the cache keeps the conv output before upsampling, a quarter
    of the upsampled size.
    """

    def __init__(self, height: int, width: int, channels: int, net_width: int, depth: int, seed: int,
                 upsample: str, weights: dict[str, torch.Tensor], device: torch.device,
                 band_rows: Optional[int] = None, cache_bytes: Optional[int] = None) -> None:
        sizes = layer_sizes(height, width, depth)
        self.depth = depth
        self.height, self.width, self.channels = height, width, channels
        self.net_width = net_width
        self.band_rows = band_rows
        gpu = device.type == "cuda"
        self.fused = not gpu and fused.available()  # the C kernels (fused.py), decided once per decode
        self.band_bytes = GPU_BAND_BYTES if gpu else BAND_BYTES
        default_cache = cache_bytes is None
        if default_cache:
            cache_bytes = GPU_CACHE_BYTES if gpu else DEFAULT_CACHE_BYTES
        # level i is the ReLU output of hidden layer i, at out_size[i]; its conv runs at in_size[i]
        self.in_size = sizes
        self.out_size = [sizes[min(i + 1, depth - 1)] for i in range(depth)]
        self.z = torch.from_numpy(fixed_input(seed, net_width, sizes[0])[0]).permute(1, 2, 0).contiguous().to(device)
        w = _to_device(weights, device)
        self.raw = [unit_rows(w[f"conv{i}"]) for i in range(depth)] + [w["out"]]
        self.kernels = [unit_rows(w[f"dw{i}"]) if f"dw{i}" in w else None for i in range(depth)]
        self.gain = [w[f"scale{i}"] for i in range(depth)]
        self.shift = [w[f"shift{i}"] for i in range(depth)]
        pad = (-net_width) % CHANNEL_MULTIPLE
        if pad and not gpu and pad <= PAD_LIMIT * net_width:
            # Zero channels: their convs, gains and shifts are 0, so they stay 0 and feed nothing.
            self.net_width = net_width = net_width + pad
            self.z = F.pad(self.z, (0, pad))
            self.raw = [F.pad(r, (0, pad, 0, pad)) for r in self.raw[:-1]] + [F.pad(self.raw[-1], (0, pad))]
            self.gain = [F.pad(g, (0, pad)) for g in self.gain]
            self.shift = [F.pad(t, (0, pad)) for t in self.shift]
            self.kernels = [None if k is None else F.pad(k, (0, 0, 0, pad)) for k in self.kernels]
        self.conv: list[torch.Tensor] = list(self.raw)  # replaced by the folded weights level by level
        self.bias: list[Optional[torch.Tensor]] = [None] * (depth + 1)
        self.index = [None if i + 1 == depth else
                      (_upsampling(self.in_size[i][0], self.out_size[i][0], upsample, device),
                       _upsampling(self.in_size[i][1], self.out_size[i][1], upsample, device))
                      for i in range(depth)]
        # the source rows each output row reads, on the host: looking them up on a GPU waits for it
        self.source_rows = [None if i + 1 == depth else
                            tuple(t.tolist() for t in source_index(self.in_size[i][0], self.out_size[i][0], upsample,
                                                                   torch.device("cpu"))[:2])
                            for i in range(depth)]
        # One buffer per level, lowest (cheapest) first: every recomputation starts from them.
        # Buffer i first holds level i-1's upsampled ReLU output (out_size[i-1] == in_size[i]),
        # which is exactly what conv i reads; conv i, computed after it band by band, then
        # overwrites it. _up_ready / _ready say which of the two it holds. Where conv i takes
        # several bands, the upsampled level sits one band lower in the buffer (``upsampled[i]``)
        # than conv i's output (``kept[i]``), so each band of conv i is written by the matrix
        # product itself over input rows already read, never over its own input, and no band is
        # copied. A level done in one band (small ones; every one on a GPU) needs no lead: its
        # conv output simply replaces the buffer.
        self.kept: dict[int, torch.Tensor] = {}
        self.upsampled: dict[int, torch.Tensor] = {}
        self._buffers: dict[int, torch.Tensor] = {}
        top = depth - 1
        # On a CPU the last two levels are computed as parity planes (polyphase.py) where the last upsampling is
        # an exact doubling and both have kernels; the planes, one row longer each, take the last level's buffer
        polyphase = (POLYPHASE and not gpu and depth >= 2 and self.kernels[top] is not None
                     and self.kernels[top - 1] is not None and all(index[-1] for index in self.index[top - 1]))
        # a last level with a kernel may be written one row above the level below (_fill_top_kernel)
        leads = [self._lead(i) for i in range(depth)]
        buffer_rows = [h + max(lead, int(i == top and self.kernels[i] is not None), 2 * int(i == top and polyphase))
                       for i, ((h, _), lead) in enumerate(zip(self.in_size, leads))]
        every_level = sum(4 * net_width * rows * self.in_size[i][1] for i, rows in enumerate(buffer_rows))
        budget = max(cache_bytes, every_level) if default_cache and every_level <= FULL_CACHE_BYTES else cache_bytes
        for i, (rows, lead) in enumerate(zip(buffer_rows, leads)):
            h, wd = self.in_size[i]
            need = net_width * rows * wd * 4
            if need > budget:
                break
            budget -= need
            buffer = torch.empty((rows, wd, net_width), device=device)
            self._buffers[i] = buffer
            self.kept[i] = buffer[:h]
            if i:
                self.upsampled[i] = buffer[lead:]
        self._ready: set[int] = set()
        self._up_ready: set[int] = set()
        self.fully_cached = len(self.kept) == depth  # every layer computed once: no band recomputation
        # A last layer with a kernel is computed channels-first (C, H, W) where it fits beside the others:
        # the matrix product writes that layout, the kernels run along its contiguous rows, and the
        # statistics and the output conv read it as they find it (``_fill_top_kernel``). The level below,
        # with its kernel computed channels-first too, is kept channels-first for it (``upsampled_first``)
        # in the buffer the last conv would otherwise have used, each channel's plane one row lower than
        # the last level's, which is written over it: band by band, over rows already read. Fresh memory
        # is dear (a first decode faults it in page by page: 24 to 41 ms for 113 MB on 2 cores,
        # samples/perf-cpu/first_touch.txt), so the two levels share it. Otherwise it goes the general way: the kernel's rows are computed for
        # the statistics, and again for the image.
        # The planes (4, C, H/2 + 1, W/2) of parity p = 2 py + px: level top - 1 in rows 1 on, then the last level
        # written over it one row higher, band by band, over rows already read (_fill_top_planes)
        self.planes: Optional[torch.Tensor] = None
        self.doubled: Optional[torch.Tensor] = None  # (4, C, 9): level top - 1's doubling and kernel per parity
        # With the fused kernels, the level below the planes is kept channels-first too, in the buffer the level
        # above it would otherwise have used (the planes take their own), for the planes' products to read as is
        self.below_first: Optional[torch.Tensor] = None
        if polyphase and self.fully_cached:
            hh, wh = self.in_size[top - 1]
            self.planes = self._buffers[top].view(-1)[:4 * net_width * (hh + 1) * wh].view(4, net_width, hh + 1, wh)
            self.doubled = doubled_kernels(self.kernels[top - 1])
            if self.fused and top >= 2 and self.kernels[top - 2] is not None:
                self.below_first = self._buffers[top - 1].view(-1)[:net_width * hh * wh].view(net_width, hh, wh)
        h, wd = self.in_size[top]
        self.top_channels_first: Optional[torch.Tensor] = None
        self.upsampled_first: Optional[torch.Tensor] = None  # level top - 1, channels-first
        if self.kernels[top] is not None and self.fully_cached and self.planes is None:
            if top and self.kernels[top - 1] is not None:
                planes = self._buffers[top].view(-1)[:net_width * (h + 1) * wd].view(net_width, h + 1, wd)
                self.top_channels_first, self.upsampled_first = planes[:, :h], planes[:, 1:]
            elif 4 * net_width * h * wd <= budget:
                self.top_channels_first = torch.empty((net_width, h, wd), device=device)

    def _band(self, rows: int, cols: int) -> int:
        if self.band_rows is not None:
            return self.band_rows
        return min(rows, max(MIN_BAND_ROWS, self.band_bytes // (4 * self.net_width * cols)))

    def _lead(self, i: int) -> int:
        """Rows between level i's upsampled input and conv i's output in its buffer: one band
        where conv i takes several bands, none where it takes one (the output replaces the
        buffer) or reads the fixed input (level 0: nothing to overwrite)."""
        step = self._band(*self.in_size[i])
        return step if i and step < self.in_size[i][0] else 0

    def _conv_rows(self, i: int, s0: int, s1: int, out: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Hidden conv i (normalisation of the level below folded in), rows s0..s1-1 at in_size[i]."""
        if i in self._ready:
            return self.kept[i][s0:s1]
        x = self.z[s0:s1] if i == 0 else self.rows(i - 1, s0, s1)
        if out is None:
            return F.linear(x, self.conv[i], self.bias[i])
        # the product written straight into ``out``: F.linear's own addmm, without the copy
        flat, weight = x.reshape(-1, x.shape[-1]), self.conv[i].t()
        if self.bias[i] is None:
            torch.mm(flat, weight, out=out.view(flat.shape[0], -1))
        else:
            torch.addmm(self.bias[i], flat, weight, out=out.view(flat.shape[0], -1))
        return out

    def rows(self, i: int, y0: int, y1: int, out: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Level i (ReLU output, before normalisation), rows y0..y1-1, shape (rows, W_i, C).

        Callers must not modify the result: it may be a view of the cache."""
        if i in self._up_ready:
            return self.upsampled[i + 1][y0:y1]
        if self.kernels[i] is not None:
            return self._kernel_rows(i, y0, y1, out)
        if self.index[i] is None:  # the last level: once kept, its buffer holds the ReLU output
            return self.kept[i][y0:y1] if i in self._ready else F.relu(self._conv_rows(i, y0, y1))
        row_index, col_index = self.index[i]
        s0, s1 = self.source_rows[i][0][y0], self.source_rows[i][1][y1 - 1] + 1
        c = self._conv_rows(i, s0, s1)
        wide = _interpolate(c, 1, col_index, 0, self.out_size[i][1], 0)
        return _interpolate(wide, 0, row_index, y0, y1, s0, out).relu_()

    def _kernel_rows(self, i: int, y0: int, y1: int, out: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Level i with its depthwise kernel, rows y0..y1-1 (``_kernel_band``), laid out (rows, W, C)."""
        band = self._kernel_band(i, y0, y1).permute(1, 2, 0)
        return band.contiguous() if out is None else out.copy_(band)

    def _kernel_band(self, i: int, y0: int, y1: int) -> torch.Tensor:
        """Level i with its depthwise kernel, rows y0..y1-1, channels-first (C, rows, W), after ReLU.

        The kernel reads rows y0-1..y1 of conv i upsampled (``_kernel_input``). It runs channels-first, along whole
        rows (``_convolve_channels_first``)."""
        return _convolve_channels_first(self._kernel_input(i, y0, y1), self.kernels[i]).relu_()

    def _kernel_input(self, i: int, y0: int, y1: int) -> torch.Tensor:
        """(C, rows + 2, W): rows y0-1..y1 of conv i upsampled, channels-first, the edge rows repeated at the
        level's edges: what level i's kernel reads for rows y0..y1-1. The conv's rows are widened (columns
        interpolated) in the renderer's layout, copied channels-first at half the level's size, and the rows
        interpolated there, straight into the padded band."""
        h, wd = self.out_size[i]
        a, b = max(0, y0 - 1), min(h, y1 + 1)
        padded = torch.empty((self.net_width, y1 - y0 + 2, wd), device=self.z.device)
        inside = padded[:, a - y0 + 1:b - y0 + 1]
        if self.index[i] is None:
            inside.copy_(self._conv_rows(i, a, b).permute(2, 0, 1))
        else:
            row_index, col_index = self.index[i]
            s0, s1 = self.source_rows[i][0][a], self.source_rows[i][1][b - 1] + 1
            wide = _interpolate(self._conv_rows(i, s0, s1), 1, col_index, 0, wd, 0)
            _interpolate(wide.permute(2, 0, 1).contiguous(), 1, row_index, a, b, s0, inside)
        if a == y0:  # replicate padding at the level's edges
            padded[:, 0].copy_(padded[:, 1])
        if b == y1:
            padded[:, -1].copy_(padded[:, -2])
        return padded

    def _fill_cache(self, i: int) -> Optional[tuple[torch.Tensor, torch.Tensor]]:
        """Compute conv i into its buffer. The last level is never upsampled, so its ReLU and
        statistics are taken here, while each band is still in cache, and returned; no second
        pass over the whole layer."""
        if i == self.depth - 1 and self.top_channels_first is not None:
            return self._fill_top_kernel(i)
        h, wd = self.in_size[i]
        step = self._band(h, wd)
        top = self.index[i] is None and self.kernels[i] is None  # a kernel needs the rows around each band
        stats = self._new_statistics(h) if top else None
        direct = i == 0 or self._lead(i) > 0  # writing the output never overwrites rows still to be read
        for s0 in range(0, h, step):
            s1 = min(h, s0 + step)
            if direct:
                band = self._conv_rows(i, s0, s1, out=self.kept[i][s0:s1])
            else:
                band = self.kept[i] = self._conv_rows(i, s0, s1)
                self.upsampled.pop(i, None)  # read: the buffer is freed
            if top:
                self._accumulate(band.relu_(), *stats, s0, s1, scratch=False)  # band is the kept level
        self._ready.add(i)
        self._up_ready.discard(i - 1)  # its buffer now holds conv i
        return stats

    def _fill_top_kernel(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The last level with its kernel, channels-first, into ``top_channels_first``, band by band: the
        conv of the band's rows and one halo row each side (written channels-first by the matrix product,
        from the level below as ``upsampled_first`` holds it or else as ``rows`` gives it), the depthwise
        convolution, ReLU, and the per-row statistics. Where ``upsampled_first`` lies one row below it in
        the same planes, each band is written only after it was read, and over rows no later band reads: the
        band y0..y1-1 overwrites plane rows y0..y1-1, and the next band reads plane rows y1 on."""
        h, wd = self.in_size[i]
        step = self._band(h, wd)
        sums, squares = self._new_statistics(h)
        out = self.top_channels_first
        for y0 in range(0, h, step):
            y1 = min(h, y0 + step)
            a, b = max(0, y0 - 1), min(h, y1 + 1)
            if self.upsampled_first is not None and i - 1 in self._up_ready:
                flat = self.upsampled_first[:, a:b].reshape(self.net_width, -1)  # a view: rows are contiguous
            else:
                x = self.z[a:b] if i == 0 else self.rows(i - 1, a, b)
                flat = x.reshape(-1, x.shape[-1]).t()
            pre = self._product(i, flat).view(-1, b - a, wd)
            if a == y0 or b == y1:  # at the image's top or bottom edge the edge row is repeated
                pre = torch.cat([pre[:, :1]] * (a == y0) + [pre] + [pre[:, -1:]] * (b == y1), dim=1)
            band = _convolve_channels_first(pre, self.kernels[i]).relu_()  # in cache, then copied: faster than
            out[:, y0:y1].copy_(band)  # writing the strided destination nine times
            torch.sum(band, dim=2, out=sums[y0:y1].t())
            torch.sum(band.square_(), dim=2, out=squares[y0:y1].t())
        self._ready.add(i)
        self._up_ready.discard(i - 1)
        return sums, squares

    def _plane_band(self, rows: int) -> int:
        """Half rows per band of the planes (four planes of half rows take the bytes of two full rows); a
        ``band_rows`` asked for counts half rows here."""
        if self.band_rows is not None:
            return self.band_rows
        return min(rows, max(MIN_BAND_ROWS, PLANE_BAND_BYTES // (16 * self.net_width * self.planes.shape[-1])))

    def _fill_doubled_planes(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Level i (the last but one) as parity planes, into rows 1 on of ``planes``, band by band: conv i of the
        band's half rows and one halo row each side (channels-first, the edge rows repeated), each parity's
        composite kernel (``self.doubled``: the doubling and the level's kernel in one), ReLU, per-row statistics."""
        hh, wh = self.in_size[i]
        sums, squares = self._new_statistics(4 * hh)
        step = self._plane_band(hh)
        padded = torch.empty((self.net_width, step + 2, wh), device=self.z.device)
        add = self._kernel_bias(i, self.doubled) if self.fused else None
        taps_at: dict[int, fused.Taps] = {}
        for j0 in range(0, hh, step):
            j1 = min(hh, j0 + step)
            a, b = max(0, j0 - 1), min(hh, j1 + 1)
            if self.below_first is not None:
                flat = self.below_first[:, a:b].reshape(self.net_width, -1)
            else:
                x = self.z[a:b] if i == 0 else self.rows(i - 1, a, b)
                flat = x.reshape(-1, x.shape[-1]).t()
            pre = padded[:, :j1 - j0 + 2]
            self._product(i, flat, pre[:, a - j0 + 1:b - j0 + 1], bias=add is None)
            if a == j0:  # at the image's top or bottom edge the edge row is repeated
                pre[:, 0].copy_(pre[:, 1])
            if b == j1:
                pre[:, -1].copy_(pre[:, -2])
            if self.fused:  # each parity's kernel, ReLU and statistics in one pass, straight into the planes
                if j1 - j0 not in taps_at:  # where the taps read: the same for every band of this height
                    taps_at[j1 - j0] = kernel_taps(pre, j1 - j0)
                for p in range(4):
                    fused.depthwise(taps_at[j1 - j0], self.doubled[p], self.planes[p, :, 1 + j0:1 + j1],
                                    sums.view(4, hh, -1)[p, j0:j1], squares.view(4, hh, -1)[p, j0:j1], add[p])
                continue
            band = _convolve_channels_first(pre, self.doubled).relu_()  # (4, C, rows, W/2): every parity at once
            self.planes[:, :, 1 + j0:1 + j1].copy_(band)  # in cache, then copied (writing there directly was no faster)
            torch.sum(band, dim=3, out=sums.view(4, hh, -1)[:, j0:j1].transpose(1, 2))
            torch.sum(band.square_(), dim=3, out=squares.view(4, hh, -1)[:, j0:j1].transpose(1, 2))
        return sums, squares

    def _fill_top_planes(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The last level as parity planes, band by band, written over the level below one row higher: the last
        conv of each plane's band and the one row it needs beyond it (``polyphase.convolve_planes``), then each
        output parity's kernel, ReLU and per-row statistics. Band j0..j1 reads level rows j0 - 1..j1 (plane rows
        j0..j1 + 1) before it writes plane rows j0..j1 - 1, and no later band reads those."""
        hh, wh = self.in_size[i - 1]
        c = self.net_width
        sums, squares = self._new_statistics(4 * hh)
        step = self._plane_band(hh)
        buffers = torch.empty((4, c, step + 1, wh), device=self.z.device)
        outputs = None if self.fused else torch.empty((4, c, step, wh), device=self.z.device)
        add = None if outputs is not None else self._kernel_bias(i, self.kernels[i][None])[0]
        taps_at: dict[tuple[int, int], fused.Taps] = {}  # where each parity's taps read, by band height
        for j0 in range(0, hh, step):
            j1 = min(hh, j0 + step)
            rows = j1 - j0
            pre = list(buffers[:, :, :rows + 1])
            for q in range(4):
                t0 = j0 - q // 2  # plane q's first half row: j0 for even rows, j0 - 1 for odd ones
                lo, hi = max(0, t0), min(hh, t0 + rows + 1)
                self._product(i, self.planes[q, :, 1 + lo:1 + hi].reshape(c, -1), pre[q][:, lo - t0:hi - t0],
                              bias=add is None)
            if j0 == 0:  # full row -1 is full row 0: the even planes' first row
                for q in (2, 3):
                    pre[q][:, 0].copy_(pre[q - 2][:, 0])
            if j1 == hh:  # full row H is full row H - 1: the odd planes' last row
                for q in (0, 1):
                    pre[q][:, rows].copy_(pre[q + 2][:, rows])
            if outputs is None:  # each parity's kernel, ReLU and statistics in one pass, straight into the planes
                for p in range(4):
                    if (p, rows) not in taps_at:
                        taps_at[p, rows] = plane_taps(pre, p, rows)
                    fused.depthwise(taps_at[p, rows], self.kernels[i], self.planes[p, :, j0:j1],
                                    sums.view(4, hh, -1)[p, j0:j1], squares.view(4, hh, -1)[p, j0:j1], add)
                continue
            band = outputs[:, :, :rows]
            for p in range(4):
                convolve_planes(pre, self.kernels[i], p, rows, out=band[p])
            band.relu_()
            self.planes[:, :, j0:j1].copy_(band)
            torch.sum(band, dim=3, out=sums.view(4, hh, -1)[:, j0:j1].transpose(1, 2))
            torch.sum(band.square_(), dim=3, out=squares.view(4, hh, -1)[:, j0:j1].transpose(1, 2))
        self._ready.add(i)
        return sums, squares

    def _kernel_bias(self, i: int, taps: torch.Tensor) -> torch.Tensor:
        """(K, C): what conv i's bias adds after each of the K kernels ``taps`` (K, C, 9) read it (edges replicated,
        the doubling's weights summing to one: every tap reads it once). A fused kernel adds it once per output,
        so the matrix product leaves the bias out: torch's addmm first copies the bias into the whole output."""
        if self.bias[i] is None:
            return torch.zeros(taps.shape[:2], device=taps.device)
        return (taps.double().sum(dim=2) * self.bias[i].double()).float().contiguous()

    def _product(self, i: int, flat: torch.Tensor, out: Optional[torch.Tensor] = None,
                 bias: bool = True) -> torch.Tensor:
        """Conv i (normalisation below folded in) of ``flat`` (C, pixels), channels-first (C, pixels); with ``out``
        (C, rows, columns: whole rows of a larger buffer) written there by the matrix product itself. ``bias``
        False leaves the bias out (a fused kernel adds it: ``_kernel_bias``)."""
        target = None if out is None else out.view(out.shape[0], -1)
        if self.bias[i] is None or not bias:
            return torch.mm(self.conv[i], flat, out=target)
        return torch.addmm(self.bias[i][:, None], self.conv[i], flat, out=target)

    def _render_planes(self, out: np.ndarray) -> None:
        """The output conv on each parity plane of the last level, interleaved into the 8-bit image."""
        hh, wh = self.in_size[self.depth - 2]
        if self.fused:  # the conv, sigmoid and rounding in one pass, into every other pixel
            weight, bias = self.conv[-1].contiguous(), self.bias[-1].contiguous()
            for p in range(4):
                py, px = divmod(p, 2)
                fused.pixels(self.planes[p, :, :hh], weight, bias, out[py::2, px::2])
            return
        step = self._plane_band(hh)
        for j0 in range(0, hh, step):
            j1 = min(hh, j0 + step)
            for p in range(4):
                py, px = divmod(p, 2)
                flat = self.planes[p, :, j0:j1].reshape(self.net_width, -1)
                image = torch.sigmoid(torch.addmm(self.bias[-1][:, None], self.conv[-1], flat))
                pixels = torch.round(image.clamp(0, 1) * 255).to(torch.uint8).view(-1, j1 - j0, wh)
                out[2 * j0 + py:2 * j1:2, px::2] = pixels.permute(1, 2, 0).numpy()

    def _new_statistics(self, rows: int) -> tuple[torch.Tensor, torch.Tensor]:
        # preallocated: small tensors kept alive between the bands' big temporaries pinned the
        # heap and fragmented it (a 1536x1536 decode grew to 3.6 GB)
        sums = torch.empty((rows, self.net_width), device=self.z.device)
        return sums, torch.empty_like(sums)

    @staticmethod
    def _accumulate(band: torch.Tensor, sums: torch.Tensor, squares: torch.Tensor, y0: int, y1: int,
                    scratch: bool) -> None:
        """Per-row sums and sums of squares of rows y0..y1-1; ``scratch``: ``band`` may be overwritten
        (no second band-sized temporary: at 4096x4096 a band is 67 MB)."""
        torch.sum(band, dim=1, out=sums[y0:y1])
        torch.sum(band.square_() if scratch else band.square(), dim=1, out=squares[y0:y1])

    def _fold_statistics(self, i: int) -> None:
        """One pass over level i: its statistics, folded into the conv that reads it."""
        if self.planes is not None and i == self.depth - 2:
            stats = self._fill_doubled_planes(i)
        elif self.planes is not None and i == self.depth - 1:
            stats = self._fill_top_planes(i)
        else:
            stats = self._fill_cache(i) if i in self.kept else None
        h, wd = self.out_size[i]
        if stats is not None:
            sums, squares = stats
        else:
            sums, squares = self._new_statistics(h)
            step = self._band(h, wd)
            keep = self.upsampled.get(i + 1)  # level i's upsampled output goes where conv i+1 reads it
            # or there, channels-first
            first = {self.depth - 2: self.upsampled_first, self.depth - 3: self.below_first}.get(i)
            # the fused kernel writes the level, its ReLU and statistics in one pass, channels-first or -last
            fused_here = self.fused and self.kernels[i] is not None and \
                (first is not None or (keep is not None and wd <= fused.ROW_MAX))
            for y0 in range(0, h, step):
                y1 = min(h, y0 + step)
                if fused_here:
                    target = first[:, y0:y1] if first is not None else keep[y0:y1].permute(2, 0, 1)
                    fused.depthwise(kernel_taps(self._kernel_input(i, y0, y1), y1 - y0), self.kernels[i], target,
                                    sums[y0:y1], squares[y0:y1])
                    continue
                if first is not None:
                    band = self._kernel_band(i, y0, y1)
                    first[:, y0:y1].copy_(band)
                    torch.sum(band, dim=2, out=sums[y0:y1].t())
                    torch.sum(band.square_(), dim=2, out=squares[y0:y1].t())
                else:
                    band = self.rows(i, y0, y1, out=None if keep is None else keep[y0:y1])
                    self._accumulate(band, sums, squares, y0, y1, scratch=keep is None)
                del band
            if keep is not None and (first is None or i != self.depth - 3):  # below_first is not where rows() looks
                self._up_ready.add(i)
        n = h * wd
        mean = sums.double().sum(dim=0) / n
        var = (squares.double().sum(dim=0) / n - mean * mean).clamp_min(0)
        gain = self.gain[i].double() * torch.rsqrt(var + NORM_EPS)
        offset = self.shift[i].double() - mean * gain
        nxt = self.raw[i + 1].double()
        self.conv[i + 1] = (nxt * gain[None, :]).float()
        self.bias[i + 1] = (nxt @ offset).float()

    def render(self) -> np.ndarray:
        """The 8-bit image (H, W, C)."""
        for i in range(self.depth):
            self._fold_statistics(i)
        out = np.empty((self.height, self.width, self.channels), np.uint8)
        if self.planes is not None:
            self._render_planes(out)
            return out
        if self.top_channels_first is not None and self.fused:
            fused.pixels(self.top_channels_first, self.conv[-1].contiguous(), self.bias[-1].contiguous(), out)
            return out
        step = self._band(self.height, self.width)
        for y0 in range(0, self.height, step):
            y1 = min(self.height, y0 + step)
            if self.top_channels_first is not None:
                band = self.top_channels_first[:, y0:y1].reshape(self.net_width, -1)
                flat = torch.sigmoid(torch.addmm(self.bias[-1][:, None], self.conv[-1], band))
                image = flat.view(-1, y1 - y0, self.width).permute(1, 2, 0)
            else:
                image = torch.sigmoid(F.linear(self.rows(self.depth - 1, y0, y1), self.conv[-1], self.bias[-1]))
            out[y0:y1] = torch.round(image.clamp(0, 1) * 255).to(torch.uint8).cpu().numpy()
        return out


def renders_whole(height: int, width: int, net_width: int, device: torch.device) -> bool:
    """Whether ``render_whole`` serves this decode: on a GPU, for images whose activations fit
    ``WHOLE_IMAGE_BYTES`` (a 768x512 image at k=32: 121 MB; 4096x4096 at k=512: 8.5 GB, banded)."""
    return device.type == "cuda" and 4 * net_width * height * width <= WHOLE_IMAGE_BYTES


def render_whole(height: int, width: int, channels: int, net_width: int, depth: int, seed: int, upsample: str,
                 weights: dict[str, torch.Tensor], device: torch.device) -> np.ndarray:
    """The 8-bit image (H, W, C) from one pass of the fitting network's own forward (model.run_layers).

    On a GPU a decode is bound by the host launching kernels, not by arithmetic: the bands'
    bookkeeping (per-row statistics, folding, strided upsampling) launches hundreds of small
    kernels where this launches a few dozen (RESULTS.md, "On an H100"). Its pixels are those of the
    network the encoder fitted; against the banded renderer they differ by float rounding of the
    statistics (at most one level)."""
    sizes = layer_sizes(height, width, depth)
    z = torch.from_numpy(fixed_input(seed, net_width, sizes[0])).to(device)
    image = run_layers(z, _to_device(weights, device), sizes, upsample, stacked=False)[0]  # the GPU's layout
    pixels = torch.round(image.clamp(0, 1) * 255).to(torch.uint8).permute(1, 2, 0)
    return pixels.cpu().numpy()
