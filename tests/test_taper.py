"""Tapered widths (format version 3): hidden layers of their own widths, narrowing towards the image.

The widths the encoder picks, the network, its file, the decoder (which renders these networks as flat ones) and the
codec's planning of them."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import ddcodec
from ddcodec import codec
from ddcodec import format as fmt
from ddcodec.cli import main
from ddcodec.imageio import psnr
from ddcodec.model import DeepDecoder, flat_embedding, initial_weights
from ddcodec.presets import PRESETS
from ddcodec.quant import dequantize, quantize
from ddcodec.ratecontrol import bytes_per_weight, header_bytes, predicted_bytes
from ddcodec.render import BandRenderer
from conftest import TEST_ITERS, mean_colour_psnr, perturb, smooth_image, to_pixels

CPU = torch.device("cpu")
ALL = fmt.all_layers(5)


def test_tapered_widths_fall_linearly_to_the_percentage():
    assert fmt.tapered_widths(40, 6, 50) == (40, 36, 32, 28, 24, 20)
    assert fmt.tapered_widths(30, 5, 50) == (30, 26, 23, 19, 15)  # 26.25, 22.5 and 18.75 rounded, half up
    assert fmt.tapered_widths(3, 5, 10) == (3, 2, 2, 2, 2)  # at least 2
    assert fmt.tapered_widths(40, 6, 100) == () and fmt.tapered_widths(40, 1, 50) == ()


def test_weight_shapes_chain_the_widths():
    shapes = dict(fmt.weight_shapes(5, 3, 3, 0b110, (6, 4, 2)))
    assert shapes["conv0"] == (6, 5) and shapes["conv1"] == (4, 6) and shapes["conv2"] == (2, 4)
    assert shapes["scale1"] == (4,) and shapes["dw1"] == (4, 9) and shapes["dw2"] == (2, 9) and "dw0" not in shapes
    assert shapes["out"] == (3, 2)
    assert fmt.param_count(5, 3, 3, 0b110, (6, 4, 2)) == sum(int(np.prod(s)) for s in shapes.values())
    # flat widths are the plain network, parameter for parameter
    assert fmt.weight_shapes(5, 3, 3, ALL & 0b111, (5, 5, 5)) == fmt.weight_shapes(5, 3, 3, ALL & 0b111)


def test_flat_networks_start_where_they_did():
    # every layer given the input's width draws what the flat network draws (the golden files pin the flat one)
    np.testing.assert_equal(initial_weights(7, 6, 4, 3, ALL & 0b1111), initial_weights(7, 6, 4, 3, ALL & 0b1111, (6,) * 4))
    assert initial_weights(7, 6, 4, 3, 0, (6, 5, 4, 3))["conv1"].shape == (5, 6)


def _perturbed(h: int, w: int, widths: tuple[int, ...], depthwise: int = ALL, net_width: int = 9,
               seed: int = 3) -> DeepDecoder:
    return perturb(DeepDecoder(h, w, 3, net_width, 5, seed, depthwise=depthwise, widths=widths), seed)


@pytest.mark.parametrize("depthwise", [ALL, 0])
@pytest.mark.parametrize("h, w, widths", [(37, 29, (9, 8, 6, 5, 4)), (32, 40, (9, 8, 6, 5, 4)), (30, 33, (7, 9, 11, 6, 3))])
def test_the_decoder_renders_tapered_networks_as_flat_ones(h, w, widths, depthwise):
    # 32x40 with kernels on the last two levels takes the CPU's polyphase path, the others the general one; the
    # last case widens before it narrows, its widest layer wider than the fixed input
    model = _perturbed(h, w, widths, depthwise)
    assert model.z.shape[1] == 9 and model.weights["conv0"].shape == (widths[0], 9)
    weights = {n: p.detach() for n, p in model.weights.items()}
    widest = max(9, *widths)
    flat = flat_embedding(weights, widest)
    assert flat["conv2"].shape == (widest, widest) and flat["out"].shape == (3, widest)
    with torch.no_grad():
        reference = to_pixels(model())
        assert reference.std() > 5
        for band_rows, cache_bytes in [(None, None), (3, 0), (5, 4000)]:
            rendered = BandRenderer(h, w, 3, widest, 5, 3, "bilinear", flat, CPU, band_rows=band_rows,
                                    cache_bytes=cache_bytes).render()
            diff = np.abs(rendered.astype(int) - reference.astype(int))
            assert diff.max() <= 1 and (diff > 0).mean() < 0.01, (band_rows, cache_bytes)


def test_a_tapered_file_round_trips_through_quantisation():
    model = _perturbed(20, 24, (9, 7, 6, 4, 3))
    q, steps = quantize(dict(model.weights), 7, 9, 5, 3, ALL)
    assert q.size == fmt.param_count(9, 5, 3, ALL, (9, 7, 6, 4, 3))
    header = fmt.DdcHeader(height=20, width=24, channels=3, net_width=9, depth=5, seed=3, bits=7, steps=steps,
                           target_ratio=4.0, depthwise=ALL, widths=(9, 7, 6, 4, 3))
    read, codes = fmt.decode_file(fmt.encode_file(header, q))
    assert read.version == 3 and read.layer_widths == [9, 7, 6, 4, 3]
    weights = dequantize(codes, read.steps, 7, 9, 5, 3, ALL, read.widths)
    assert {n: tuple(t.shape) for n, t in weights.items()} == {n: tuple(p.shape) for n, p in model.weights.items()}


@pytest.fixture(scope="module")
def tapered_encode():
    image = smooth_image(40, 48, 3, seed=5)
    schedule = dataclasses.replace(PRESETS["default"], taper=50)
    return image, *ddcodec.encode(image, k=6, preset=schedule, iters=TEST_ITERS, device="cpu")


def test_encode_with_a_taper_writes_its_widths_and_round_trips(tapered_encode):
    image, data, result = tapered_encode
    header = ddcodec.read_header(data)
    # the compact layout (fixed scales, as every preset leaves them) with its layout bit for the widths
    assert data[4] == 4 and header.version == 4 and data[27] == fmt.LAYOUT_WIDTHS
    assert header.widths == fmt.tapered_widths(header.net_width, header.depth, 50) and header.widths[-1] < header.net_width
    budget = image.size / 6
    assert header.n_params <= budget < fmt.param_count(header.net_width + 1, header.depth, 3, header.depthwise,
                                                       fmt.tapered_widths(header.net_width + 1, header.depth, 50))
    decoded = ddcodec.decode_pixels(data, device="cpu")
    assert psnr(decoded, image) == pytest.approx(result.psnr, abs=1e-9)
    assert result.psnr > mean_colour_psnr(image) + 8


def test_info_shows_the_layer_widths(tapered_encode, tmp_path):
    _, data, _ = tapered_encode
    (tmp_path / "t.ddc").write_bytes(data)
    out = CliRunner().invoke(main, ["info", str(tmp_path / "t.ddc")])
    widths = list(ddcodec.read_header(data).widths)
    assert out.exit_code == 0 and f"layer_widths: {widths}" in out.output and "version: 4" in out.output


def test_rate_control_plans_tapered_networks_to_the_target():
    schedule = dataclasses.replace(PRESETS["default"], taper=54)
    net_width, bits, mask = codec.plan_network(256, 384, 3, bpp=0.25, schedule=schedule)
    flat_width, _, _ = codec.plan_network(256, 384, 3, bpp=0.25, schedule=PRESETS["default"])
    assert net_width > flat_width  # the same bytes buy a wider first layer
    per_weight = bytes_per_weight(bits, net_width, 6, 3, schedule.fixed_scale, schedule.weight_l1, mask, 54, True)
    predicted = predicted_bytes(net_width, 6, 3, bits, per_weight, mask, 54, True)
    assert abs(predicted / (0.25 * 256 * 384 / 8) - 1) < 0.06
    assert predicted < predicted_bytes(net_width, 6, 3, bits, per_weight, mask, 100, True)  # fewer weights
    # the model's header is the file's: a version-3 header of a tapered network, a version-1/2 one of the flat
    # network; the compact layout (version 4) with the widths or without them
    for widths in (fmt.tapered_widths(net_width, 6, 54), ()):
        header = fmt.DdcHeader(height=256, width=384, channels=3, net_width=net_width, depth=6, seed=0, bits=bits,
                               steps=(1.0,) * fmt.n_steps(6, 3), target_ratio=1.0, depthwise=mask, widths=widths)
        q = np.zeros(header.n_params, np.int64)
        assert header_bytes(6, 3, mask, widths) == len(fmt.encode_file(header, q)) - len(fmt.compress_codes(q, bits))
        scales, pos = [], 0
        for name, shape in fmt.weight_shapes(net_width, 6, 3, mask, widths):
            if name.startswith("scale"):
                q[pos:pos + shape[0]] = 1  # fixed scales: one code, one step (1.0, as every other step here)
                scales.append(shape[0])
            pos += int(np.prod(shape))
        compact = dataclasses.replace(header, version=fmt.COMPACT_VERSION)
        stored = len(fmt.compress_codes(np.zeros(header.n_params - sum(scales), np.int64), bits))
        assert header_bytes(6, 3, mask, widths, compact=True) == len(fmt.encode_file(compact, q)) - stored
