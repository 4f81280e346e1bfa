"""The network and its quantisation: sizes, portable randomness, and encoder == decoder arithmetic."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from ddcodec import format as fmt
from ddcodec.format import compress_codes, param_count
from ddcodec.model import DeepDecoder, fixed_input, layer_sizes
from ddcodec.quant import dequantize, fake_quant, qmax, quantize


def test_layer_sizes_handle_any_size():
    assert layer_sizes(512, 768, 6) == [(16, 24), (32, 48), (64, 96), (128, 192), (256, 384), (512, 768)]
    assert layer_sizes(33, 47, 6) == [(4, 4), (4, 4), (5, 6), (9, 12), (17, 24), (33, 47)]
    assert layer_sizes(24, 30, 6)[:3] == [(4, 4), (4, 4), (4, 4)]  # never 1x1: see the docstring
    assert layer_sizes(1, 3, 6) == [(1, 3)] * 6


@pytest.mark.parametrize("h, w, c", [(33, 47, 3), (40, 48, 1), (7, 5, 4)])
def test_output_shape_and_parameter_count(h, w, c):
    model = DeepDecoder(h, w, c, net_width=6, depth=6, seed=1)
    assert model().shape == (1, c, h, w)
    assert sum(p.numel() for p in model.parameters()) == param_count(6, 6, c)


def test_fixed_input_is_portable_pcg64():
    # Golden values: numpy's PCG64 stream is specified, so these never change across
    # machines or versions. If this fails, old files would decode differently.
    z = fixed_input(seed=0, net_width=2, size=(1, 2))
    assert z.dtype == np.float32 and z.shape == (1, 2, 1, 2)
    rng = np.random.Generator(np.random.PCG64([0, 0]))
    np.testing.assert_array_equal(z.ravel(), (rng.random(4) * 0.1).astype(np.float32))
    assert abs(float(z.ravel()[0]) - 0.0637) < 1e-4
    assert 0 <= z.min() and z.max() < 0.1


def test_seed_changes_input_and_init():
    a, b = DeepDecoder(8, 8, 3, 4, 2, seed=1), DeepDecoder(8, 8, 3, 4, 2, seed=2)
    assert not torch.equal(a.z, b.z)
    assert not torch.equal(a.weights["conv0"], b.weights["conv0"])


def _perturbed_model(seed: int = 0) -> DeepDecoder:
    model = DeepDecoder(17, 23, 3, net_width=8, depth=4, seed=seed)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * 0.2)
    return model


@pytest.mark.parametrize("bits, levels", [(4, None), (8, None), (12, None), (7, 55), (6, 28), (8, 127)])
def test_fake_quant_equals_file_dequantisation(bits, levels):
    """Also with fewer levels than the precision has (rate control's trim): the file's rows then dequantise to
    max-abs levels / qmax, and the fine-tune's view must still be the decoder's, bit for bit."""
    model = _perturbed_model()
    with torch.no_grad():
        trained_view = model(lambda n, w: fake_quant(n, w, bits, levels))
        q, steps = quantize(dict(model.weights), bits, 8, 4, 3, levels=levels)
        largest = qmax(bits) if levels is None else levels
        assert q.min() >= -largest and q.max() <= largest and np.abs(q).max() == largest
        for name, value in dequantize(q, steps, bits, 8, 4, 3).items():
            model.weights[name].copy_(value)
        decoded_view = model()
    assert torch.equal(trained_view, decoded_view)


@pytest.mark.parametrize("bits, levels", [(7, None), (7, 55), (7, 61), (8, None), (6, 28)])
def test_fixed_scales_fit_the_compact_layout_at_every_level(bits, levels):
    """The rounding stages leave each scale at its fake-quantised 1 (one float32 ulp under 1 at some levels): the
    file's scales then share one code and one step, and the shifts' and the output conv's steps are bfloat16 values
    at most 0.8% over max-abs / levels (8 significant bits), so format version 4 holds the network, and its file
    decodes to the codes and steps of the version 1 file."""
    model = _perturbed_model(4)
    with torch.no_grad():
        for name, w in model.weights.items():
            if name.startswith("scale"):
                w.copy_(fake_quant(name, torch.ones_like(w), bits, levels))
        q, steps = quantize(dict(model.weights), bits, 8, 4, 3, levels=levels)
    largest = qmax(bits) if levels is None else levels
    header = fmt.DdcHeader(height=17, width=23, channels=3, net_width=8, depth=4, seed=4, bits=bits, steps=steps,
                           target_ratio=1.0)
    assert fmt.fits_compact(header, q)
    stored = list(steps[1:8:2]) + list(steps[8:])
    peaks = [model.weights[f"shift{i}"].abs().max().item() for i in range(4)]
    peaks += model.weights["out"].abs().amax(dim=1).tolist()
    for step, peak in zip(stored, peaks):
        assert fmt.is_bfloat16(step) and peak / largest <= step <= peak / largest * 1.008
    compact = fmt.encode_file(dataclasses.replace(header, version=fmt.COMPACT_VERSION), q)
    legacy = fmt.encode_file(header, q)
    for data in (compact, legacy):
        decoded, codes = fmt.decode_file(data)
        assert decoded.steps == steps
        np.testing.assert_array_equal(codes, q)
    assert compact[4] == 4 and legacy[4] == 1 and len(compact) < len(legacy) - 30


def test_fewer_levels_pack_smaller_and_cost_a_little_precision():
    model = _perturbed_model(3)
    with torch.no_grad():
        ref = model()
        errors, sizes = [], []
        for levels in (63, 56, 48):
            errors.append((model(lambda n, w: fake_quant(n, w, 7, levels)) - ref).abs().mean().item())
            q, _ = quantize(dict(model.weights), 7, 8, 4, 3, levels=levels)
            sizes.append(len(compress_codes(q, 7)))
    assert errors == sorted(errors) and sizes == sorted(sizes, reverse=True), (errors, sizes)


def test_hidden_row_scale_is_free():
    """Scaling a hidden conv's output row leaves the image unchanged: why rownorm stores no scale."""
    model = _perturbed_model(1)
    with torch.no_grad():
        before = model()
        model.weights["conv2"][3].mul_(7.0)
        after = model()
    assert (before - after).abs().max().item() < 1e-4


def test_quantisation_error_shrinks_with_bits():
    model = _perturbed_model(2)
    with torch.no_grad():
        ref = model()
        errors = [(model(lambda n, w: fake_quant(n, w, b)) - ref).abs().mean().item() for b in (4, 6, 8, 10)]
    assert errors == sorted(errors, reverse=True)
    assert errors[-1] < 1e-3


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_upsampling_only_some_rows_matches_the_full_upsampling(mode):
    from ddcodec.model import _upsample, upsample_rows

    x = torch.rand(1, 5, 9, 13, generator=torch.Generator().manual_seed(0))
    rows = torch.tensor([0, 3, 4, 16])
    full = _upsample(x, (17, 25), mode)
    torch.testing.assert_close(upsample_rows(x, (17, 25), rows, mode), full[:, :, rows], rtol=0, atol=1e-6)


def test_rendering_every_row_through_the_row_path_is_the_full_render():
    model = _perturbed_model()
    with torch.no_grad():
        torch.testing.assert_close(model(rows=torch.arange(17)), model(), rtol=0, atol=1e-5)
        assert model(rows=torch.tensor([2, 9])).shape == (1, 3, 2, 23)


def test_coarse_render_is_the_network_with_its_last_upsampling_skipped():
    from ddcodec.model import coarse_size, run_layers

    model = _perturbed_model()
    sizes = model.sizes
    with torch.no_grad():
        coarse = model(coarse=True)
        # the same layers on a size list whose last two entries agree: upsampling to the same
        # size is the identity
        reference = run_layers(model.z, dict(model.weights), sizes[:-1] + [sizes[-2]], model.upsample)
    assert coarse.shape[2:] == coarse_size(sizes) == sizes[-2] != sizes[-1]
    torch.testing.assert_close(coarse, reference, rtol=0, atol=1e-6)


def test_cuda_graphs_are_on_by_default_on_cuda_only_for_identical_steps(monkeypatch):
    from types import SimpleNamespace

    from ddcodec.fit import _use_graphs

    on = SimpleNamespace(device=torch.device("cuda"))  # only the device is looked at
    monkeypatch.delenv("DDCODEC_CUDA_GRAPHS", raising=False)
    assert _use_graphs(on, None, 0.0)
    assert not _use_graphs(SimpleNamespace(device=torch.device("cpu")), None, 0.0)
    assert not _use_graphs(on, lambda: None, 0.0)  # fresh rows every step
    assert not _use_graphs(on, None, 0.005)  # fresh input noise every step
    monkeypatch.setenv("DDCODEC_CUDA_GRAPHS", "0")
    assert not _use_graphs(on, None, 0.0)
