"""The polyphase form of the last two levels (ddcodec/polyphase.py): each parity plane is exactly the
full-size computation's pixels of that parity, and the renderer that uses it draws the same image."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ddcodec.polyphase import convolve_planes, doubled_kernels
from ddcodec.render import BandRenderer, _convolve_channels_first
from conftest import to_pixels
from test_depthwise import _perturbed

CPU = torch.device("cpu")


def _depthwise(x: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """(C, H, W) convolved with each channel's 3x3 kernel, edges replicated: the fitted network's op."""
    padded = F.pad(x[None], (1, 1, 1, 1), mode="replicate")
    return F.conv2d(padded, taps.view(-1, 1, 3, 3), groups=x.shape[0])[0]


@pytest.mark.parametrize("h, w", [(7, 6), (1, 1), (2, 5)])
def test_doubled_kernels_are_the_doubling_then_the_kernel(h, w):
    gen = torch.Generator().manual_seed(h * w)
    x, taps = torch.randn(5, h, w, generator=gen), torch.randn(5, 9, generator=gen)
    reference = _depthwise(F.interpolate(x[None], scale_factor=2, mode="bilinear", align_corners=False)[0], taps)
    rows_replicated = torch.cat([x[:, :1], x, x[:, -1:]], dim=1)
    kernels = doubled_kernels(taps)
    assert kernels.shape == (4, 5, 9)
    for p in range(4):
        py, px = divmod(p, 2)
        torch.testing.assert_close(_convolve_channels_first(rows_replicated, kernels[p]),
                                   reference[:, py::2, px::2], rtol=0, atol=1e-5)
    if h > 1:
        assert (reference[:, 0::2] - reference[:, 1::2]).abs().max() > 0.1  # the parities really differ


@pytest.mark.parametrize("hh, wh", [(7, 6), (1, 1), (3, 1)])
def test_convolve_planes_is_the_full_size_kernel_for_every_band(hh, wh):
    gen = torch.Generator().manual_seed(hh + wh)
    full, taps = torch.randn(4, 2 * hh, 2 * wh, generator=gen), torch.randn(4, 9, generator=gen)
    reference = _depthwise(full, taps)
    planes = [full[:, qy::2, qx::2] for qy in (0, 1) for qx in (0, 1)]
    for j0 in range(hh):
        for j1 in range(j0 + 1, hh + 1):
            rows = j1 - j0
            pre = []
            for q in range(4):
                t0 = j0 - q // 2
                lo, hi = max(0, t0), min(hh, t0 + rows + 1)
                band = torch.full((4, rows + 1, wh), float("nan"))  # rows outside the image must be filled
                band[:, lo - t0:hi - t0] = planes[q][:, lo:hi]
                pre.append(band)
            if j0 == 0:
                for q in (2, 3):
                    pre[q][:, 0] = pre[q - 2][:, 0]
            if j1 == hh:
                for q in (0, 1):
                    pre[q][:, rows] = pre[q + 2][:, rows]
            for p in range(4):
                py, px = divmod(p, 2)
                torch.testing.assert_close(convolve_planes(pre, taps, p, rows),
                                           reference[:, py::2, px::2][:, j0:j1], rtol=0, atol=1e-5)


@pytest.mark.parametrize("h, w, c, net_width", [(40, 48, 3, 7), (64, 40, 1, 15)])
def test_parity_planes_render_the_network_identically_for_any_band(h, w, c, net_width):
    model = _perturbed(h, w, c, net_width)
    weights = {n: p.detach() for n, p in model.weights.items()}
    with torch.no_grad():
        reference = to_pixels(model())
        renderer = BandRenderer(h, w, c, net_width, 5, 3, "bilinear", weights, CPU, band_rows=h, cache_bytes=1 << 30)
        assert renderer.planes is not None and renderer.planes.shape[0] == 4
        whole = renderer.render()
        assert reference.std() > 5
        diff = np.abs(whole.astype(int) - reference.astype(int))
        assert diff.max() <= 1 and (diff > 0).mean() < 0.01
        for band_rows in (1, 2, 3, None):
            banded = BandRenderer(h, w, c, net_width, 5, 3, "bilinear", weights, CPU, band_rows=band_rows,
                                  cache_bytes=1 << 30)
            assert banded.planes is not None
            np.testing.assert_array_equal(banded.render(), whole, err_msg=f"band_rows={band_rows}")
        general = BandRenderer(h, w, c, net_width, 5, 3, "bilinear", weights, CPU, band_rows=5, cache_bytes=4000)
        assert general.planes is None  # not every level kept: the general path
        diff = np.abs(general.render().astype(int) - whole.astype(int))
        assert diff.max() <= 1 and (diff > 0).mean() < 0.01


@pytest.mark.parametrize("h, w, upsample, depthwise", [
    (37, 48, "bilinear", 0b11111),  # 37 rows: the last upsampling is no exact doubling
    (40, 48, "nearest", 0b11111),
    (40, 48, "bilinear", 0b01111),  # no kernel on the last layer
    (40, 48, "bilinear", 0b10111),  # none on the last but one
])
def test_parity_planes_only_where_the_last_two_levels_are_a_doubling_with_kernels(h, w, upsample, depthwise):
    model = _perturbed(h, w, 3, upsample=upsample, depthwise=depthwise)
    weights = {n: p.detach() for n, p in model.weights.items()}
    with torch.no_grad():
        renderer = BandRenderer(h, w, 3, 7, 5, 3, upsample, weights, CPU, cache_bytes=1 << 30)
        assert renderer.planes is None
        diff = np.abs(renderer.render().astype(int) - to_pixels(model()).astype(int))
    assert diff.max() <= 1
