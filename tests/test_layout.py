"""The GPU's layout (batched matrix products, hand-written normalisation) computes what the CPU's does.

Both run here on the CPU: ``run_layers(stacked=False)`` is what a CUDA fit runs, and ``_ChannelNorm``
is what it uses for large layers with few channels. The CPU's own float32 normalisation of narrow layers
(``_PixelRowsNorm``) is checked here too."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import ddcodec.model
from ddcodec.model import (NORM_EPS, ROWS_NORM_MAX_CHANNELS, ROWS_NORM_MIN_VALUES, BatchedDeepDecoder, DeepDecoder,
                           _ChannelNorm, channel_norm, run_layers)


def _models(n: int) -> list[DeepDecoder]:
    gen = torch.Generator().manual_seed(0)
    models = [DeepDecoder(20, 24, 3, 6, 5, seed=s) for s in range(n)]
    with torch.no_grad():
        for m in models:
            for p in m.parameters():
                p.add_(torch.randn(p.shape, generator=gen) * 0.3)
    return models


def _output_and_grads(model: torch.nn.Module, stacked: bool, **kw) -> tuple[torch.Tensor, dict]:
    model.zero_grad(set_to_none=True)
    groups = getattr(model, "batch", 1)
    out = run_layers(model.z, dict(model.weights), model.sizes, model.upsample, groups=groups, stacked=stacked, **kw)
    (out * torch.linspace(0, 1, out.numel(), dtype=out.dtype).view(out.shape)).sum().backward()
    return out.detach(), {n: p.grad.clone() for n, p in model.weights.items()}


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("kw", [{}, {"coarse": True}, {"rows": torch.tensor([0, 3, 4, 11, 19])}])
def test_batched_layout_equals_stacked_layout_with_gradients(batch, kw):
    models = _models(batch)
    model = (models[0] if batch == 1 else BatchedDeepDecoder(models)).double()  # rounding would hide errors
    out_s, grads_s = _output_and_grads(model, True, **kw)
    out_b, grads_b = _output_and_grads(model, False, **kw)
    assert out_b.shape == out_s.shape == (batch, 3, *out_s.shape[2:])
    torch.testing.assert_close(out_b, out_s, rtol=0, atol=1e-12)
    for name, g in grads_s.items():
        torch.testing.assert_close(grads_b[name], g, rtol=1e-9, atol=1e-12, msg=name)


@pytest.mark.parametrize("channels_last", [False, True])
def test_hand_written_normalisation_equals_batch_norm(channels_last):
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(1, 7, 9, 11, generator=gen, dtype=torch.float64) * 3 + 1
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    scale = torch.rand(7, generator=gen, dtype=torch.float64) + 0.5
    shift = torch.randn(7, generator=gen, dtype=torch.float64)
    grad = torch.randn(1, 7, 9, 11, generator=gen, dtype=torch.float64)
    results = []
    for norm in (lambda *a: F.batch_norm(*a[:1], None, None, *a[1:], training=True, eps=NORM_EPS), _ChannelNorm.apply):
        inputs = [t.clone().requires_grad_() for t in (x, scale, shift)]
        y = norm(*inputs)
        results.append((y,) + torch.autograd.grad(y, inputs, grad))
    for ref, got in zip(*results):
        torch.testing.assert_close(got, ref, rtol=1e-10, atol=1e-10)


def test_channel_norm_keeps_each_images_statistics_in_a_batch():
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(2, 4, 5, 6, generator=gen)
    x[1] = x[1] * 10 + 5  # a very different second image
    scale, shift = torch.ones(8), torch.zeros(8)
    y = channel_norm(x, scale, shift)
    assert y.shape == x.shape
    torch.testing.assert_close(y[1], channel_norm(x[1:], scale[4:], shift[4:])[0], rtol=0, atol=1e-5)
    torch.testing.assert_close(y.mean(dim=(2, 3)), torch.zeros(2, 4), rtol=0, atol=1e-5)


def _norm_errors(norm, x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor, grad: torch.Tensor) -> list[float]:
    """Each of (values, input's, scale's and shift's gradients) of ``norm``: its largest error against batch norm
    computed in float64, relative to the reference's largest magnitude."""
    inputs = [t.clone().requires_grad_() for t in (x, scale, shift)]
    y = norm(*inputs)
    got = (y,) + torch.autograd.grad(y, inputs, grad)
    exact = [t.double().requires_grad_() for t in (x, scale, shift)]
    y64 = F.batch_norm(exact[0], None, None, *exact[1:], training=True, eps=NORM_EPS)
    refs = (y64,) + torch.autograd.grad(y64, exact, grad.double())
    assert all(value.dtype == torch.float32 for value in got)
    return [((value.double() - ref).abs().max() / ref.abs().max()).item() for value, ref in zip(got, refs)]


@pytest.mark.parametrize("height, width", [(256, 200), (257, 201)])  # pixels a multiple of 8, and not
def test_cpu_float32_rows_normalisation_equals_batch_norm(height, width, monkeypatch):
    """Narrow channels-last float32 layers on the CPU take ``_PixelRowsNorm`` (with several threads); its values and
    gradients are batch norm's, computed in float64, to float32 rounding, and no further from them than torch's own
    float32 batch norm where a channel's mean dwarfs its spread (its variance takes two passes, as torch's does: one
    pass, E[x^2] - E[x]^2, would lose every digit there). Widths of a multiple of 16 channels and wider layers keep
    torch's."""
    monkeypatch.setattr(ddcodec.model, "ROWS_NORM_MIN_THREADS", 1)  # whatever this machine's thread count
    gen = torch.Generator().manual_seed(4)
    c = 21
    assert c <= ROWS_NORM_MAX_CHANNELS and c * height * width >= ROWS_NORM_MIN_VALUES
    torch_norm = lambda *a: F.batch_norm(a[0], None, None, *a[1:], training=True, eps=NORM_EPS)  # noqa: E731
    for spread, offset in ((3, 1), (0.01, 10)):
        x = (torch.randn(1, c, height, width, generator=gen) * spread + offset).contiguous(
            memory_format=torch.channels_last)
        scale, shift = torch.rand(c, generator=gen) + 0.5, torch.randn(c, generator=gen)
        grad = torch.randn(1, c, height, width, generator=gen).contiguous(memory_format=torch.channels_last)
        assert channel_norm(x.clone().requires_grad_(), scale, shift).grad_fn.name() == "_PixelRowsNormBackward"
        errors = _norm_errors(channel_norm, x, scale, shift, grad)
        if spread == 3:
            assert max(errors) < 2e-5, errors
        else:
            torch_errors = _norm_errors(torch_norm, x, scale, shift, grad)
            assert all(e <= t for e, t in zip(errors, torch_errors)), (errors, torch_errors)
    for n, size in ((c, 240), (16, 300), (32, 200), (ROWS_NORM_MAX_CHANNELS + 1, 180)):
        other = torch.randn(1, n, size, size).contiguous(memory_format=torch.channels_last).requires_grad_()
        taken = channel_norm(other, torch.ones(n), torch.zeros(n)).grad_fn.name() == "_PixelRowsNormBackward"
        assert taken == (n == c), n
    monkeypatch.setattr(ddcodec.model, "ROWS_NORM_MIN_THREADS", torch.get_num_threads() + 1)  # too few threads
    assert channel_norm(x.clone().requires_grad_(), scale, shift).grad_fn.name() != "_PixelRowsNormBackward"
