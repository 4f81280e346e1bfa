"""GPTQ rounding (ddcodec/rounding.py): what it promises per row, and on a fitted network."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ddcodec
from ddcodec.codec import FitSchedule, _to_tensor
from ddcodec.fit import _main_fit, _progressive_rounding, quantiser
from ddcodec.imageio import psnr
from ddcodec.model import DeepDecoder
from ddcodec.quant import dequantize, fake_quant, qmax, quantize
from ddcodec.rounding import _patch_hessians, hessian_round, round_rows

from conftest import smooth_image


def random_rows(rows: int, n: int, bits: int, seed: int = 0) -> torch.Tensor:
    """Rows in code units with max-abs qmax, as unit rows times qmax are."""
    w = torch.rand(rows, n, generator=torch.Generator().manual_seed(seed)) * 2 - 1
    return w / w.abs().amax(dim=1, keepdim=True) * qmax(bits)


def test_with_uncorrelated_inputs_it_is_plain_rounding():
    w = random_rows(12, 20, 7)
    assert torch.equal(round_rows(w, torch.eye(20), 7), torch.round(w))


def test_it_cuts_the_output_error_of_correlated_inputs_and_keeps_each_row_at_max_abs_qmax():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(24, 2000, generator=gen) + torch.randn(1, 2000, generator=gen)  # a shared component
    w = random_rows(16, 24, 5)
    codes = round_rows(w, x @ x.t(), 5)
    plain = torch.round(w)

    def error(q: torch.Tensor) -> float:
        return float(((w - q) @ x).square().sum())

    assert error(codes) < 0.8 * error(plain)
    assert torch.equal(codes, codes.round()) and codes.abs().max() <= qmax(5)
    assert torch.equal(codes.abs().amax(dim=1), torch.full((16,), float(qmax(5))))  # each row's largest stays exact


def test_a_hessian_per_row_is_used_per_row():
    w = random_rows(2, 9, 6)
    h = torch.stack([torch.eye(9), torch.full((9, 9), 1.0) + torch.eye(9)])
    codes = round_rows(w, h, 6)
    assert torch.equal(codes[0], torch.round(w[0]))
    assert torch.equal(codes[1], round_rows(w[1:], h[1], 6)[0])


def test_patch_hessians_are_the_second_moments_of_replicate_padded_patches(monkeypatch):
    y = torch.rand(1, 5, 6, 7, generator=torch.Generator().manual_seed(2))
    patches = torch.nn.functional.unfold(torch.nn.functional.pad(y, (1, 1, 1, 1), mode="replicate")[0][:, None], 3)
    expected = torch.bmm(patches, patches.transpose(1, 2))
    monkeypatch.setattr(ddcodec.rounding, "PATCH_CHUNK_BYTES", 1)  # one channel at a time
    assert torch.allclose(_patch_hessians(y), expected, rtol=1e-5)


@pytest.fixture(scope="module")
def fitted():
    """A network fitted for a few hundred steps (kernels on), its target, and the image."""
    pixels = smooth_image(40, 48, 3, seed=3)
    net = DeepDecoder(40, 48, 3, 12, 5, seed=0, depthwise=0b11111)
    target = _to_tensor(pixels, torch.device("cpu"))
    _main_fit(net, target, FitSchedule(iters=300, qat_iters=0))
    return net, pixels


def decoded(net: DeepDecoder, bits: int) -> torch.Tensor:
    with torch.no_grad():
        image = net(lambda n, w: fake_quant(n, w, bits))[0].permute(1, 2, 0)
    return image.clamp(0, 1).mul(255).round().to(torch.uint8).numpy()


def test_on_a_fitted_network_it_beats_plain_rounding_and_fake_quant_keeps_its_codes(fitted):
    """Layer by layer it is not bound to help the image at every precision (measured here: +1.7, +0.5, +0.0 and
    +0.1 dB at 4 to 7 bits), so the gains are summed."""
    net, pixels = fitted
    gains = []
    for bits in (4, 5, 6, 7):
        rounded = DeepDecoder(40, 48, 3, 12, 5, seed=0, depthwise=0b11111)
        rounded.load_state_dict(net.state_dict())
        hessian_round(rounded, bits)
        gains.append(psnr(pixels, decoded(rounded, bits)) - psnr(pixels, decoded(net, bits)))
        for name, w in rounded.weights.items():
            if name.startswith(("conv", "dw", "out")):  # a fixpoint: the file stores exactly these weights
                assert torch.equal(fake_quant(name, w, bits), w), (name, bits)
    assert sum(gains) > 1.0, gains


def test_a_batched_network_is_rounded_image_by_image(fitted):
    net, _ = fitted
    other = DeepDecoder(40, 48, 3, 12, 5, seed=1, depthwise=0b11111)
    batch = ddcodec.model.BatchedDeepDecoder([net, other])
    hessian_round(batch, 6)
    for index, single in enumerate((net, other)):
        alone = DeepDecoder(40, 48, 3, 12, 5, seed=index, depthwise=0b11111)
        alone.load_state_dict(single.state_dict())
        hessian_round(alone, 6)
        for name, w in alone.weights.items():
            assert torch.allclose(batch.image_weights(index)[name], w, atol=1e-6), name


def test_progressive_rounding_beats_rounding_all_layers_at_once(fitted):
    """After each layer is rounded, the float layers above it are fitted to make up for it (fit._progressive_rounding):
    the rounded network decodes better than GPTQ's alone, which already beats plain rounding here, and it is what the
    file stores."""
    net, pixels = fitted
    target = _to_tensor(pixels, torch.device("cpu"))
    results = {}
    for method in ("gptq", "progressive"):
        rounded = DeepDecoder(40, 48, 3, 12, 5, seed=0, depthwise=0b11111)
        rounded.load_state_dict(net.state_dict())
        if method == "gptq":
            hessian_round(rounded, 5)
        else:
            _progressive_rounding(rounded, target, FitSchedule(iters=0, qat_iters=0, progressive_steps=30), 5)
            assert all(p.requires_grad for p in rounded.parameters())
        for name, w in rounded.weights.items():
            assert torch.equal(fake_quant(name, w, 5), w), name
        results[method] = psnr(pixels, decoded(rounded, 5))
    assert results["progressive"] > results["gptq"] + 0.3, results


def test_rounding_to_fewer_levels_keeps_its_codes_and_renders_as_the_file(fitted):
    """Rate control's trim rounds to fewer codes than the precision has: GPTQ's codes stay within them, the file
    stores exactly those codes, and the fine-tune's fake quantisation renders what the file decodes to."""
    net, pixels = fitted
    rounded = DeepDecoder(40, 48, 3, 12, 5, seed=0, depthwise=0b11111)
    rounded.load_state_dict(net.state_dict())
    hessian_round(rounded, 7, [50])
    weights = {n: w.detach() for n, w in rounded.weights.items()}
    q, steps = quantize(weights, 7, 12, 5, 3, 0b11111, levels=50)
    assert np.abs(q).max() == 50
    for name, w in weights.items():
        if name.startswith(("conv", "dw")):
            assert torch.allclose(w * 50, torch.round(w * 50), atol=1e-4), name  # unit rows of codes / 50
    with torch.no_grad():
        trained_view = rounded(lambda n, w: fake_quant(n, w, 7, 50))
        for name, value in dequantize(q, steps, 7, 12, 5, 3, 0b11111).items():
            rounded.weights[name].copy_(value)
        file_view = rounded()
        assert torch.equal(trained_view, file_view)
    image = file_view[0].permute(1, 2, 0).clamp(0, 1).mul(255).round().to(torch.uint8).numpy()
    assert psnr(pixels, decoded(net, 7)) - psnr(pixels, image) < 0.5  # 50 of 63 levels: a step 26% coarser


def test_a_batch_fine_tunes_each_network_at_its_own_levels(fitted):
    net, _ = fitted
    other = DeepDecoder(40, 48, 3, 12, 5, seed=1, depthwise=0b11111)
    batch = ddcodec.model.BatchedDeepDecoder([net, other])
    transforms = quantiser(7, [63, 40])
    assert isinstance(transforms, list) and quantiser(7, [63, 63]) is not None
    with torch.no_grad():
        together = batch(transforms)
        for index, single in enumerate((net, other)):
            assert torch.allclose(together[index], single(transforms[index])[0], atol=1e-5)
        assert not torch.allclose(together[1], other(transforms[0])[0], atol=1e-5)
