"""The CPU decode's fused C kernels (ddcodec/_fused.c through ddcodec/fused.py): the same values as torch's ops, and
a decode that uses them draws the image the torch path draws."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from ddcodec import fused, model
from ddcodec.polyphase import convolve_planes, kernel_taps, plane_taps
from ddcodec.render import BandRenderer, _convolve_channels_first
from conftest import to_pixels
from test_depthwise import _perturbed

CPU = torch.device("cpu")


def test_the_fused_kernels_are_built():
    # pip builds them wherever a C compiler is found (pyproject.toml); CI must not pass on the fallback alone
    assert fused._fused is not None, "ddcodec._fused is not built: pip install -e . with a C compiler"
    assert fused.available()


def _statistics(band: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-row sums and sums of squares (rows, C) of a (C, rows, W) band, in float64."""
    return band.double().sum(dim=2).t(), band.double().square().sum(dim=2).t()


@pytest.mark.parametrize("c, rows, w", [(5, 7, 40), (3, 1, 1), (2, 3, 2), (8, 4, 17), (72, 6, 384)])
def test_fused_kernel_is_the_kernel_then_relu_with_row_statistics(c, rows, w):
    gen = torch.Generator().manual_seed(c * rows + w)
    padded, taps = torch.randn(c, rows + 2, w, generator=gen), torch.randn(c, 9, generator=gen)
    reference = _convolve_channels_first(padded, taps).relu_()
    out = torch.full((c, rows + 3, w + 5), float("nan"))[:, 1:rows + 1, 2:w + 2]  # a strided destination
    sums, squares = torch.full((2, rows, c), float("nan")).unbind(0)
    fused.depthwise(kernel_taps(padded, rows), taps, out, sums, squares)
    torch.testing.assert_close(out, reference, rtol=1e-6, atol=1e-5)
    # written channels-last: (rows, W, C) memory, every column C floats apart
    last = torch.full((rows, w, c), float("nan"))
    fused.depthwise(kernel_taps(padded, rows), taps, last.permute(2, 0, 1), sums, squares)
    torch.testing.assert_close(last.permute(2, 0, 1), reference, rtol=1e-6, atol=1e-5)
    # a bias under the kernel, added once per output instead of to every input
    bias = torch.randn(c, generator=gen)
    fused.depthwise(kernel_taps(padded, rows), taps, out, sums.clone(), squares.clone(), add=bias * taps.sum(dim=1))
    torch.testing.assert_close(out, _convolve_channels_first(padded + bias[:, None, None], taps).relu_(),
                               rtol=1e-5, atol=1e-4)
    expected_sums, expected_squares = _statistics(reference)
    torch.testing.assert_close(sums.double(), expected_sums, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(squares.double(), expected_squares, rtol=1e-5, atol=1e-4)
    if reference.numel() > 20:
        assert (reference == 0).any() and (reference > 0).any()  # ReLU really clipped something


@pytest.mark.parametrize("rows, wh", [(5, 9), (1, 1), (3, 2), (2, 33)])
def test_fused_plane_kernel_is_convolve_planes(rows, wh):
    gen = torch.Generator().manual_seed(rows * wh)
    c = 6
    buffers = torch.randn(4, c, rows + 1, wh, generator=gen)
    pre, taps = list(buffers), torch.randn(c, 9, generator=gen)
    planes = torch.full((4, c, rows + 2, wh), float("nan"))
    sums, squares = torch.empty(4, rows, c), torch.empty(4, rows, c)
    for p in range(4):
        reference = convolve_planes(pre, taps, p, rows).relu_()
        fused.depthwise(plane_taps(pre, p, rows), taps, planes[p, :, 1:rows + 1], sums[p], squares[p])
        torch.testing.assert_close(planes[p, :, 1:rows + 1], reference, rtol=1e-6, atol=1e-5)
        expected_sums, _ = _statistics(reference)
        torch.testing.assert_close(sums[p].double(), expected_sums, rtol=1e-5, atol=1e-4)
    assert planes[:, :, 0].isnan().all() and planes[:, :, -1].isnan().all()  # nothing written outside the band


@pytest.mark.parametrize("k, c, rows, w", [(3, 7, 5, 70), (3, 72, 2, 32), (1, 4, 3, 5), (2, 3, 1, 1)])
def test_fused_pixels_are_the_output_conv_rounded_to_8_bits(k, c, rows, w):
    gen = torch.Generator().manual_seed(k * c + w)
    src = torch.randn(c, rows, w + 3, generator=gen)[:, :, 1:w + 1]  # a strided source
    weight, bias = torch.randn(k, c, generator=gen) / c ** 0.5 * 3, torch.randn(k, generator=gen)
    logits = torch.einsum("kc,chw->hwk", weight.double(), src.double()) + bias.double()
    exact = torch.round(torch.sigmoid(logits) * 255).to(torch.uint8).numpy()
    image = np.full((2 * rows, 2 * w, k), 7, np.uint8)
    fused.pixels(src, weight, bias, image[1::2, ::2])  # every other row and column: one parity plane
    diff = np.abs(image[1::2, ::2].astype(int) - exact.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01  # float32 sums against float64 ones
    assert (image[0::2] == 7).all() and (image[:, 1::2] == 7).all()  # the other pixels untouched
    assert len(np.unique(exact)) > min(50, exact.size // 2)  # the levels really spread
    saturated = np.array([[-1e9, -7.0, -6.3, 6.3, 7.0, 1e9, float("nan"), 0.0]], np.float32)
    levels = np.empty((1, 8, 1), np.uint8)
    fused.pixels(torch.from_numpy(saturated)[None], torch.ones(1, 1), torch.zeros(1), levels)
    assert levels.ravel().tolist() == [0, 0, 0, 255, 255, 255, 0, 128]


def test_fused_kernel_refuses_what_it_cannot_read():
    padded, taps = torch.randn(3, 6, 8), torch.randn(3, 9)
    out, sums = torch.empty(3, 4, 8), torch.empty(4, 3)
    with pytest.raises(ValueError, match="float32"):
        fused.depthwise(kernel_taps(padded.double(), 4), taps, out, sums, sums.clone())
    wide = torch.randn(1, 3, fused.ROW_MAX + 1)
    with pytest.raises(ValueError, match="unit column stride"):  # a strided row longer than the C kernel's buffer
        fused.depthwise(kernel_taps(wide, 1), taps[:1], torch.empty(1, 1, 2 * fused.ROW_MAX + 2)[:, :, ::2],
                        sums[:1, :1], sums[:1, :1].clone())
    with pytest.raises(ValueError, match="taps"):
        fused.depthwise(kernel_taps(padded, 4), taps[:2], out, sums, sums.clone())
    with pytest.raises(ValueError, match="dest"):
        fused.pixels(out, torch.ones(3, 3), torch.zeros(3), np.empty((4, 8, 3), np.float32))


@pytest.mark.parametrize("h, w, c, net_width", [(40, 48, 3, 7), (64, 40, 1, 15)])
def test_a_decode_with_fused_kernels_draws_the_torch_paths_image(h, w, c, net_width, monkeypatch):
    model = _perturbed(h, w, c, net_width)
    weights = {n: p.detach() for n, p in model.weights.items()}
    with torch.no_grad():
        reference = to_pixels(model())
        renderer = BandRenderer(h, w, c, net_width, 5, 3, "bilinear", weights, CPU, band_rows=3, cache_bytes=1 << 30)
        assert renderer.planes is not None
        drawn = renderer.render()
        monkeypatch.setattr(fused, "ENABLED", False)
        plain = BandRenderer(h, w, c, net_width, 5, 3, "bilinear", weights, CPU, band_rows=3,
                             cache_bytes=1 << 30).render()
    assert reference.std() > 5
    for other in (plain, reference):
        diff = np.abs(drawn.astype(int) - other.astype(int))
        assert diff.max() <= 1 and (diff > 0).mean() < 0.01


def test_ddcodec_fused_0_in_the_environment_takes_torchs_ops():
    script = "from ddcodec import fused; print(fused._fused is not None, fused.available())"
    env = {**os.environ, "DDCODEC_FUSED": "0"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "False"]


def test_a_second_openmp_runtime_is_seen(tmp_path):
    torch_lib = "/venv/lib/python3.11/site-packages/torch/lib"
    maps = tmp_path / "maps"
    maps.write_text(f"7f00-7f01 r-xp 0 08:01 1 {torch_lib}/libgomp.so.1\n"
                    f"7f02-7f03 r--p 0 08:01 1 {torch_lib}/libgomp.so.1\n"
                    "7f04-7f05 r-xp 0 08:01 2 /usr/lib/libc.so.6\n")
    assert fused.openmp_runtimes(str(maps)) == {f"{torch_lib}/libgomp.so.1"}
    with open(maps, "a") as f:
        f.write("7f06-7f07 r-xp 0 08:01 3 /usr/lib/x86_64-linux-gnu/libgomp.so.1\n")
    assert len(fused.openmp_runtimes(str(maps))) == 2  # torch's and the system's: the C kernels stay off
    assert fused.openmp_runtimes(str(tmp_path / "absent")) is None
    assert len(fused.openmp_runtimes() or ()) <= 1  # here: the extension shares torch's runtime


def _replicate_depthwise_grads(x: torch.Tensor, taps: torch.Tensor, grad: torch.Tensor):
    """The gradients in float64: replicate padding, then a depthwise convolution."""
    x64, taps64 = x.detach().double().requires_grad_(), taps.detach().double().requires_grad_()
    out = torch.nn.functional.conv2d(torch.nn.functional.pad(x64, (1, 1, 1, 1), mode="replicate"), taps64[:, None],
                                     groups=x.shape[1])
    return torch.autograd.grad(out, (x64, taps64), grad.double())


@pytest.mark.parametrize("c, h, w", [(8, 7, 9), (16, 1, 5), (8, 6, 1), (24, 2, 2), (8, 1, 1), (30, 5, 7), (3, 4, 4)])
def test_fused_backward_is_the_replicate_depthwise_gradient(c, h, w):
    gen = torch.Generator().manual_seed(c * h + w)
    last = torch.channels_last
    x = torch.randn(1, c, h, w, generator=gen).contiguous(memory_format=last)
    taps = torch.randn(c, 3, 3, generator=gen)
    grad = torch.randn(1, c, h, w, generator=gen).contiguous(memory_format=last)
    grad_x, grad_taps = fused.depthwise_backward(x, grad, taps)
    expected_x, expected_taps = _replicate_depthwise_grads(x, taps, grad)
    assert grad_x.is_contiguous(memory_format=last) and grad_x.dtype == torch.float32
    torch.testing.assert_close(grad_x.double(), expected_x, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(grad_taps.double(), expected_taps, rtol=1e-5, atol=1e-4)
    # bfloat16 (the fit's type under autocast): within what torch's own backward is off by, in bfloat16
    xb, gb, tb = x.bfloat16(), grad.bfloat16(), taps.bfloat16()
    grad_x, grad_taps = fused.depthwise_backward(xb, gb, tb)
    expected_x, expected_taps = _replicate_depthwise_grads(xb, tb, gb)
    assert grad_x.dtype == torch.bfloat16 and grad_taps.dtype == torch.bfloat16
    scale_x, scale_taps = expected_x.abs().max(), expected_taps.abs().max()
    assert (grad_x.double() - expected_x).abs().max() <= 2 ** -7 * scale_x  # bfloat16's 8 bits
    assert (grad_taps.double() - expected_taps).abs().max() <= 2 ** -7 * scale_taps


@pytest.fixture
def backward_calls(monkeypatch):
    """The channel counts fused.depthwise_backward is called with, in order."""
    calls = []
    real = fused.depthwise_backward

    def spy(x, grad, taps):
        calls.append(x.shape[1])
        return real(x, grad, taps)

    monkeypatch.setattr(fused, "depthwise_backward", spy)
    return calls


def test_the_fits_large_depthwise_layers_take_the_fused_backward(backward_calls, monkeypatch):
    calls = backward_calls
    for c in (64, 45, 44, 16):  # from 45 channels (fused.BACKWARD_CHANNELS)
        x = torch.randn(1, c, 6, 5).contiguous(memory_format=torch.channels_last).requires_grad_()
        taps = torch.randn(c, 3, 3, requires_grad=True)
        out = model._ReplicateDepthwise.apply(x, taps)
        grads = torch.autograd.grad(out, (x, taps), torch.ones_like(out).contiguous(memory_format=torch.channels_last))
        expected = _replicate_depthwise_grads(x, taps, torch.ones_like(out))
        for got, want in zip(grads, expected):
            torch.testing.assert_close(got.double(), want, rtol=1e-5, atol=1e-4)
    assert calls == [64, 45]
    layer = torch.zeros(1, 64, 4, 4).contiguous(memory_format=torch.channels_last)
    assert fused.backward_takes(layer, layer) and not fused.backward_takes(layer, layer.contiguous())
    monkeypatch.setattr(fused, "ENABLED", False)
    assert not fused.backward_takes(layer, layer)


def _relu_norm_grads(norm, x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor, grad: torch.Tensor):
    """(values, x's, scale's and shift's gradients) of ``norm(x, scale, shift)``."""
    inputs = [t.clone().requires_grad_() for t in (x, scale, shift)]
    y = norm(*inputs)
    return (y,) + torch.autograd.grad(y, inputs, grad.to(y.dtype))


def _torch_relu_norm(x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.batch_norm(x.relu(), None, None, scale, shift, training=True, eps=model.NORM_EPS)


@pytest.mark.parametrize("c, h, w", [(72, 16, 24), (21, 17, 31), (5, 3, 3), (8, 2, 5), (13, 40, 33)])
def test_fused_relu_norm_is_batch_norm_of_the_relu(c, h, w):
    """model._ReluNorm's values and gradients are those of the ReLU then batch norm, computed in float64: to float32
    rounding for layers of any channel and pixel count (whole vectors of channels or not, chunks of pixels whole or
    not), no further off than torch's float32 batch norm where a channel's mean dwarfs its spread (two passes for the
    variance), and within bfloat16's precision for bfloat16 layers."""
    gen = torch.Generator().manual_seed(c + h * w)
    last = torch.channels_last
    fused_norm = model._ReluNorm.apply
    for spread, offset in ((2, 0.3), (0.01, 10)):
        x = (torch.randn(1, c, h, w, generator=gen) * spread + offset).contiguous(memory_format=last)
        scale, shift = torch.rand(c, generator=gen) + 0.5, torch.randn(c, generator=gen)
        grad = torch.randn(1, c, h, w, generator=gen).contiguous(memory_format=last)
        exact = _relu_norm_grads(_torch_relu_norm, x.double(), scale.double(), shift.double(), grad.double())
        got = _relu_norm_grads(fused_norm, x, scale, shift, grad)
        assert got[0].is_contiguous(memory_format=last) and got[1].is_contiguous(memory_format=last)
        assert all(t.dtype == torch.float32 for t in got)
        errors = [((g.double() - e).abs().max() / e.abs().max()).item() for g, e in zip(got, exact)]
        if spread == 2:
            assert max(errors) < 2e-6, errors
        else:
            torch_errors = [((g.double() - e).abs().max() / e.abs().max()).item()
                            for g, e in zip(_relu_norm_grads(_torch_relu_norm, x, scale, shift, grad), exact)]
            assert all(e <= max(t, 1e-6) for e, t in zip(errors, torch_errors)), (errors, torch_errors)
        xb, gb = x.bfloat16(), grad.bfloat16()
        exact = _relu_norm_grads(_torch_relu_norm, xb.double(), scale.double(), shift.double(), gb.double())
        got = _relu_norm_grads(fused_norm, xb, scale, shift, gb)
        assert got[0].dtype == got[1].dtype == torch.bfloat16 and got[2].dtype == got[3].dtype == torch.float32
        for g, e in zip(got, exact):
            assert (g.double() - e).abs().max() <= 2 ** -7 * e.abs().max()  # bfloat16's 8 bits


def test_fused_relu_norm_does_not_depend_on_the_threads():
    gen = torch.Generator().manual_seed(9)
    x = torch.randn(1, 24, 64, 50, generator=gen).contiguous(memory_format=torch.channels_last)
    scale, shift = torch.rand(24, generator=gen) + 0.5, torch.randn(24, generator=gen)
    grad = torch.randn(1, 24, 64, 50, generator=gen).contiguous(memory_format=torch.channels_last)
    threads = torch.get_num_threads()
    try:
        runs = []
        for n in (1, 3):
            torch.set_num_threads(n)
            runs.append(_relu_norm_grads(model._ReluNorm.apply, x, scale, shift, grad))
    finally:
        torch.set_num_threads(threads)
    for a, b in zip(*runs):
        assert torch.equal(a, b)


def test_the_fits_large_layers_take_the_fused_relu_norm(monkeypatch):
    c = 16
    size = int((model.FUSED_NORM_MIN_VALUES / c) ** 0.5) + 1
    ones, zeros = torch.ones(c), torch.zeros(c)

    def taken(x: torch.Tensor) -> bool:
        return model.relu_norm(x.requires_grad_(), ones, zeros).grad_fn.name() == "_ReluNormBackward"

    large = torch.randn(1, c, size, size)
    assert taken(large.contiguous(memory_format=torch.channels_last).bfloat16())
    assert taken(large.contiguous(memory_format=torch.channels_last))
    assert not taken(large)  # channels-first: torch's
    assert not taken(torch.randn(1, c, 8, 8).contiguous(memory_format=torch.channels_last))  # small: torch's
    # whichever path, the same normalisation
    expected = _torch_relu_norm(large, ones, zeros)
    torch.testing.assert_close(model.relu_norm(large.contiguous(memory_format=torch.channels_last), ones, zeros),
                               expected, rtol=1e-5, atol=1e-5)
    monkeypatch.setattr(fused, "ENABLED", False)
    assert not taken(large.contiguous(memory_format=torch.channels_last))


def test_fused_relu_norm_refuses_what_it_cannot_read():
    last = torch.channels_last
    x = torch.randn(1, 4, 5, 6).contiguous(memory_format=last)
    with pytest.raises(ValueError, match="channels-last"):
        fused.relu_statistics(x.contiguous())
    with pytest.raises(ValueError, match="channels-last"):
        fused.relu_grad_sums(x, x.contiguous(), torch.zeros(4))
    with pytest.raises(ValueError, match="channels-last"):
        fused.relu_statistics(x.double().contiguous(memory_format=last))
    with pytest.raises(ValueError, match=r"\(C,\)"):
        fused.relu_affine(x, torch.zeros(4), torch.ones(5), torch.zeros(4))


def _bilinear(x: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.interpolate(x, size=(2 * x.shape[2], 2 * x.shape[3]), mode="bilinear",
                                           align_corners=False)


@pytest.mark.parametrize("c, h, w", [(72, 4, 6), (13, 7, 5), (5, 1, 3), (1, 1, 1), (8, 3, 1)])
def test_fused_doubling_is_torchs_bilinear_upsampling(c, h, w):
    """fused.doubled and its backward are torch's bilinear upsampling to twice the size (align_corners False) and
    its gradient, computed in float64: to float32 rounding, and in bfloat16 to its precision, edges included."""
    gen = torch.Generator().manual_seed(c * h + w)
    last = torch.channels_last
    x = torch.randn(1, c, h, w, generator=gen).contiguous(memory_format=last)
    grad = torch.randn(1, c, 2 * h, 2 * w, generator=gen).contiguous(memory_format=last)
    for dtype, tolerance in ((torch.float32, 1e-6), (torch.bfloat16, 2 ** -8)):
        x64 = x.to(dtype).double().requires_grad_()  # the reference from the same (rounded) values
        out64 = _bilinear(x64)
        (grad64,) = torch.autograd.grad(out64, x64, grad.to(dtype).double())
        out = fused.doubled(x.to(dtype))
        grad_x = fused.doubled_backward(grad.to(dtype))
        assert out.dtype == grad_x.dtype == dtype and out.shape == out64.shape and grad_x.shape == x.shape
        assert out.is_contiguous(memory_format=last) and grad_x.is_contiguous(memory_format=last)
        assert (out.double() - out64).abs().max() <= tolerance * out64.abs().max() + 1e-12
        assert (grad_x.double() - grad64).abs().max() <= tolerance * 4 * grad64.abs().max()
    with pytest.raises(ValueError, match="2H, 2W"):
        fused.doubled_backward(torch.zeros(1, c, 3, 4).contiguous(memory_format=last))


def test_the_fits_large_doublings_take_the_fused_kernel(monkeypatch):
    c = 8
    size = int((model.FUSED_DOUBLING_MIN_VALUES / c) ** 0.5) + 1
    large = torch.randn(1, c, size, size).contiguous(memory_format=torch.channels_last)

    def taken(x: torch.Tensor, to: tuple[int, int]) -> bool:
        return model._upsample(x.clone().requires_grad_(), to, "bilinear").grad_fn.name() == "_DoublingBackward"

    assert taken(large, (2 * size, 2 * size)) and taken(large.bfloat16(), (2 * size, 2 * size))
    assert not taken(large, (2 * size, 2 * size - 1))  # not a doubling
    assert not taken(large.contiguous(), (2 * size, 2 * size))  # channels-first
    assert not taken(torch.randn(1, c, 4, 4).contiguous(memory_format=torch.channels_last), (8, 8))  # small
    torch.testing.assert_close(model._upsample(large, (2 * size, 2 * size), "bilinear"), _bilinear(large),
                               rtol=1e-6, atol=1e-6)
    monkeypatch.setattr(fused, "ENABLED", False)
    assert not taken(large, (2 * size, 2 * size))


def test_small_depthwise_layers_take_the_fused_backward_after_a_padded_forward(backward_calls):
    """Layers under model.RING_MIN_BYTES that the C backward takes: forward through the padded copy, backward in C."""
    calls = backward_calls
    gen = torch.Generator().manual_seed(5)
    for c in (48, 16):  # 16: under fused.BACKWARD_CHANNELS, torch's backward
        x = torch.randn(1, c, 5, 7, generator=gen).contiguous(memory_format=torch.channels_last).requires_grad_()
        taps = torch.randn(c, 9, generator=gen, requires_grad=True)
        grad = torch.randn(1, c, 5, 7, generator=gen).contiguous(memory_format=torch.channels_last)
        out = model._depthwise(x, taps)
        got = torch.autograd.grad(out, (x, taps), grad)
        want = _replicate_depthwise_grads(x, taps.reshape(c, 3, 3), grad)
        torch.testing.assert_close(got[0].double(), want[0], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(got[1].double(), want[1].reshape(c, 9), rtol=1e-5, atol=1e-4)
    assert calls == [48]
    with torch.no_grad():  # no graph, no backward: the plain padded convolution
        model._depthwise(x, taps)
    assert calls == [48]
