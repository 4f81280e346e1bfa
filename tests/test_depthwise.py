"""Depthwise kernels (format version 2): a learnt 3x3 kernel per channel after each hidden layer's upsampling.

The network, its quantisation, the banded decoder and the codec's choice of when to use them."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner

import ddcodec
from ddcodec import codec, fused
from ddcodec import format as fmt
from ddcodec.cli import main
from ddcodec.imageio import psnr
from ddcodec.model import BatchedDeepDecoder, DeepDecoder, initial_weights
from ddcodec.presets import DEPTHWISE_MIN_WIDTH
from ddcodec.quant import dequantize, fake_quant, quantize
from ddcodec.render import BandRenderer
from conftest import TEST_ITERS, mean_colour_psnr, perturb, smooth_image, to_pixels

ALL = fmt.all_layers(5)
CPU = torch.device("cpu")


def _perturbed(h: int, w: int, c: int, net_width: int = 7, upsample: str = "bilinear", seed: int = 3,
               depthwise: int = ALL) -> DeepDecoder:
    """Kernels far from the identity, and non-trivial scales and shifts, so every kernel and normalisation matters."""
    return perturb(DeepDecoder(h, w, c, net_width, 5, seed, upsample, depthwise), seed)


def test_identity_kernels_leave_the_network_unchanged():
    plain = DeepDecoder(21, 26, 3, 6, 5, seed=4)
    kernels = DeepDecoder(21, 26, 3, 6, 5, seed=4, depthwise=ALL)
    # the kernels draw from their own stream: every other weight starts where it would without them
    for name, p in plain.weights.items():
        assert torch.equal(kernels.weights[name], p)
    assert torch.equal(kernels.z, plain.z)
    with torch.no_grad():
        for i in range(5):
            kernels.weights[f"dw{i}"].zero_()[:, 4] = 1.0  # the centre tap: a 3x3 identity
        torch.testing.assert_close(kernels(), plain(), rtol=0, atol=1e-6)
        kernels.weights["dw2"][:, 3] = 0.5  # a kernel reading the left neighbour changes the image
        assert (kernels() - plain()).abs().max() > 1e-3


def test_initial_kernels_are_the_identity_plus_portable_noise():
    init = initial_weights(seed=9, net_width=4, depth=2, channels=3, depthwise=0b10)
    assert list(init) == [name for name, _ in fmt.weight_shapes(4, 2, 3, 0b10)]
    rng = np.random.Generator(np.random.PCG64([9, 2]))
    expected = rng.uniform(-0.1, 0.1, (4, 9))
    expected[:, 4] += 1.0
    np.testing.assert_array_equal(init["dw1"], expected.astype(np.float32))


def test_kernel_row_scale_is_free_and_fake_quant_is_the_file():
    model = _perturbed(17, 23, 3)
    with torch.no_grad():
        before = model()
        model.weights["dw3"][2].mul_(5.0)  # a kernel's scale is absorbed, like a conv row's
        torch.testing.assert_close(model(), before, rtol=0, atol=1e-4)
        trained_view = model(lambda n, w: fake_quant(n, w, 7))
        q, steps = quantize(dict(model.weights), 7, 7, 5, 3, ALL)
        assert q.size == fmt.param_count(7, 5, 3, ALL)
        for name, value in dequantize(q, steps, 7, 7, 5, 3, ALL).items():
            model.weights[name].copy_(value)
        assert torch.equal(model(), trained_view)


@pytest.mark.parametrize("upsample", ["bilinear", "nearest"])
@pytest.mark.parametrize("h, w, c, net_width", [(37, 29, 3, 7), (50, 17, 1, 7), (30, 33, 3, 15)])
@pytest.mark.parametrize("fused_kernels", [False, True])
def test_banded_renderer_with_kernels_matches_the_network_for_any_band_and_cache(h, w, c, net_width, upsample,
                                                                                fused_kernels, monkeypatch):
    # width 15 is padded to 16 channels on the CPU: the padded kernels must stay zero
    monkeypatch.setattr(fused, "ENABLED", fused_kernels)
    model = _perturbed(h, w, c, net_width, upsample)
    weights = {n: p.detach() for n, p in model.weights.items()}
    with torch.no_grad():
        reference = to_pixels(model())
        whole = BandRenderer(h, w, c, net_width, 5, 3, upsample, weights, CPU, band_rows=h,
                             cache_bytes=1 << 30).render()
        assert reference.std() > 5
        diff = np.abs(whole.astype(int) - reference.astype(int))
        assert diff.max() <= 1 and (diff > 0).mean() < 0.01
        for band_rows, cache_bytes in [(1, 0), (3, 0), (5, 4000), (8, 1 << 30), (None, 0)]:
            banded = BandRenderer(h, w, c, net_width, 5, 3, upsample, weights, CPU, band_rows=band_rows,
                                  cache_bytes=cache_bytes).render()
            if not fused_kernels or cache_bytes == 1 << 30:  # the same ops whatever the band: the same bits
                np.testing.assert_array_equal(banded, whole, err_msg=f"band_rows={band_rows} cache={cache_bytes}")
            else:  # a smaller cache keeps fewer levels, which then take torch's ops, another summation order
                diff = np.abs(banded.astype(int) - whole.astype(int))
                assert diff.max() <= 1 and (diff > 0).mean() < 0.01, f"band_rows={band_rows} cache={cache_bytes}"


def test_row_subset_with_kernels_is_those_rows_of_the_whole_image():
    model = _perturbed(19, 22, 3)
    rows = torch.tensor([0, 5, 6, 18])
    with torch.no_grad():
        torch.testing.assert_close(model(rows=rows), model()[:, :, rows], rtol=0, atol=0)


def test_batched_networks_with_kernels_equal_separate_ones():
    models = [_perturbed(20, 24, 3, seed=s) for s in (1, 2)]
    with torch.no_grad():
        torch.testing.assert_close(BatchedDeepDecoder(models)(), torch.cat([m() for m in models]), rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="same shape"):
        BatchedDeepDecoder([DeepDecoder(20, 24, 3, 6, 5, 0), DeepDecoder(20, 24, 3, 6, 5, 0, depthwise=ALL)])


@pytest.fixture(scope="module")
def encoded_with_kernels():
    image = smooth_image(33, 47, 3, seed=2)
    return image, *ddcodec.encode(image, k=8, iters=TEST_ITERS, device="cpu", depthwise="on")


def test_encode_with_kernels_round_trips(encoded_with_kernels):
    image, data, result = encoded_with_kernels
    header = ddcodec.read_header(data)
    assert data[4] == 4 and header.version == 4  # the compact layout keeps version 2's mask field
    assert header.depthwise_layers == [0, 1, 2, 3, 4, 5] and result.depthwise
    assert header.n_params == fmt.param_count(header.net_width, 6, 3, fmt.all_layers(6))
    assert header.n_params <= image.size / 8 < fmt.param_count(header.net_width + 1, 6, 3, fmt.all_layers(6))
    decoded = ddcodec.decode_pixels(data, device="cpu")
    assert psnr(decoded, image) == pytest.approx(result.psnr, abs=1e-9)
    assert result.psnr > mean_colour_psnr(image) + 8
    header, q = fmt.decode_file(data)
    banded = codec._render(header, q, CPU, band_rows=2, cache_bytes=0)
    np.testing.assert_array_equal(banded, decoded)


def test_auto_gives_kernels_to_wide_networks_only():
    pixels = smooth_image(64, 96, 3, seed=4)
    wide = codec._plan(pixels, 4.0, None, None, 0, 6, None, "auto")
    narrow = codec._plan(pixels, 40.0, None, None, 0, 6, None, "auto")
    assert wide.depthwise == fmt.all_layers(6) and wide.net_width >= DEPTHWISE_MIN_WIDTH
    assert narrow.depthwise == 0 and narrow.net_width == codec.choose_net_width(64, 96, 3, 40.0)
    assert codec.choose_net_width(64, 96, 3, 40.0, 6, fmt.all_layers(6)) < DEPTHWISE_MIN_WIDTH
    assert codec._plan(pixels, 4.0, None, None, 0, 6, None, "off").depthwise == 0
    assert codec._plan(pixels, 40.0, None, None, 0, 6, None, "on").depthwise == fmt.all_layers(6)
    assert codec.depthwise_mask("auto", DEPTHWISE_MIN_WIDTH, 4) == 0b1111
    assert codec.depthwise_mask("auto", DEPTHWISE_MIN_WIDTH - 1, 4) == 0


def test_kernels_on_an_image_too_small_for_them():
    pixels = smooth_image(8, 8, 3)
    with pytest.raises(ddcodec.DdcInputError, match="too small for ratio"):
        codec._plan(pixels, 4.0, None, None, 0, 2, None, "on")
    assert codec._plan(pixels, 4.0, None, None, 0, 2, None, "auto").depthwise == 0  # planned without


def test_rate_control_with_kernels_meets_the_target():
    photo = smooth_image(96, 128, 3, seed=11)
    unpenalised = dataclasses.replace(ddcodec.PRESETS["default"], weight_l1=0.0)  # as test_ratecontrol.py's
    data, result = ddcodec.encode(photo, bpp=1.4, iters=30, device="cpu", depthwise="on", preset=unpenalised)
    header = ddcodec.read_header(data)
    assert header.depthwise == fmt.all_layers(6)
    assert abs(result.bpp / 1.4 - 1) < 0.03, (result.bpp, result.width, result.bits)
    assert header.target_ratio == pytest.approx(header.ratio)


def test_bad_depthwise_mode():
    with pytest.raises(ddcodec.DdcInputError, match="depthwise must be one of auto, on, off"):
        ddcodec.encode(smooth_image(16, 16, 3), depthwise="yes")


def test_cli_depthwise_reaches_the_file_and_info(tmp_path):
    from PIL import Image
    source = tmp_path / "a.png"
    Image.fromarray(smooth_image(24, 30, 3)).save(source)
    runner = CliRunner()
    result = runner.invoke(main, ["encode", str(source), "-k", "4", "--iters", "20", "--device", "cpu",
                                  "--depthwise", "on", "-q"])
    assert result.exit_code == 0, result.output
    info = runner.invoke(main, ["info", str(tmp_path / "a.ddc")])
    assert "depthwise_layers: [0, 1, 2, 3, 4, 5]" in info.output and "version: 4" in info.output
    bad = runner.invoke(main, ["encode", str(source), "--depthwise", "maybe"])
    assert bad.exit_code == 2 and "'maybe' is not one of 'auto', 'on', 'off'" in bad.output


@pytest.mark.parametrize("height, width", [(6, 9), (1, 5), (4, 1), (1, 1), (2, 2)])
@pytest.mark.parametrize("channels_last", [True, False])
def test_cpu_depthwise_matches_a_replicate_padded_convolution_with_its_gradients(height, width, channels_last,
                                                                                  monkeypatch):
    """model._depthwise on a CPU adds the replicated ring to a zero-padded convolution instead of padding a copy
    (for large layers; here every layer): the same values and gradients as padding, at every edge and corner, for
    any layer size and layout."""
    from ddcodec import model
    monkeypatch.setattr(model, "RING_MIN_BYTES", 0)
    _depthwise = model._depthwise
    gen = torch.Generator().manual_seed(height * 10 + width)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    x = torch.randn(2, 3, height, width, generator=gen).contiguous(memory_format=layout).requires_grad_()
    kernels = torch.randn(2, 3, 9, generator=gen).requires_grad_()  # two images' kernels, flattened with channels
    out = _depthwise(x, kernels)
    flat = x.reshape(1, 6, height, width)
    padded = torch.nn.functional.conv2d(torch.nn.functional.pad(flat, (1, 1, 1, 1), mode="replicate"),
                                        kernels.reshape(6, 1, 3, 3), groups=6).view(2, 3, height, width)
    torch.testing.assert_close(out, padded, rtol=1e-5, atol=1e-5)
    weight = torch.randn(out.shape, generator=gen)
    got = torch.autograd.grad((out * weight).sum(), (x, kernels))
    want = torch.autograd.grad((padded * weight).sum(), (x, kernels))
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("ring", [True, False])
def test_cpu_depthwise_under_bfloat16_autocast_matches_float32_with_float32_kernel_gradients(ring, monkeypatch):
    """FitSchedule.bf16 fits under autocast, where a layer arrives in bfloat16 and its kernels in float32: both
    depthwise paths (the ring for large layers, the padded copy for small ones) compute in bfloat16 and hand the
    float32 kernels a float32 gradient, close to float32's."""
    from ddcodec import model
    monkeypatch.setattr(model, "RING_MIN_BYTES", 0 if ring else 1 << 62)
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(1, 4, 9, 11, generator=gen).contiguous(memory_format=torch.channels_last).requires_grad_()
    kernels = torch.randn(4, 9, generator=gen).requires_grad_()
    weight = torch.randn(1, 4, 9, 11, generator=gen)
    want = torch.autograd.grad((model._depthwise(x, kernels) * weight).sum(), (x, kernels))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model._depthwise(x.to(torch.bfloat16), kernels)
    assert out.dtype == torch.bfloat16
    got = torch.autograd.grad((out.float() * weight).sum(), (x, kernels))
    assert got[1].dtype == torch.float32
    for g, w in zip(got, want):
        torch.testing.assert_close(g.float(), w, rtol=0.05, atol=0.15)


def test_replicate_padding_under_bfloat16_autocast_stays_bfloat16_and_exact():
    """CPU autocast runs replication padding in float32; the depthwise kernel's padded copy of a bfloat16 layer is
    made in bfloat16 instead (a float32 copy and the cast back were two extra passes over the layer), with the same
    values, and a convolution of it under autocast gives the same output as the float32 padding did."""
    from ddcodec import model
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(1, 5, 7, 9, generator=gen).to(torch.bfloat16).contiguous(memory_format=torch.channels_last)
    kernels = torch.randn(5, 1, 3, 3, generator=gen)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        padded = model._replicate_pad(x)
        float_padded = F.pad(x, (1, 1, 1, 1), mode="replicate")
        assert float_padded.dtype == torch.float32  # what autocast does by itself: the reason for _replicate_pad
        assert padded.dtype == torch.bfloat16
        assert torch.equal(padded.float(), float_padded)
        out = F.conv2d(padded, kernels, groups=5)
        old = F.conv2d(float_padded, kernels, groups=5)
    assert out.dtype == old.dtype == torch.bfloat16
    assert torch.equal(out, old)
