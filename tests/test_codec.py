"""The library API: round trips of real (tiny) encodes, channel policy, determinism, errors."""
from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest
import torch
from PIL import Image

import ddcodec
import ddcodec.codec
import ddcodec.fit
from ddcodec import format as fmt
from ddcodec.codec import choose_net_width, psnr
from ddcodec.quant import dequantize
from conftest import TEST_ITERS, mean_colour_psnr, odd_rgb_image, smooth_image


def test_rgb_round_trip_beats_mean_colour_by_far(rgb_odd, rgb_encoded):
    data, result = rgb_encoded
    decoded = ddcodec.decode(data, device="cpu")
    assert decoded.mode == "RGB" and decoded.size == (47, 33)
    measured = psnr(np.asarray(decoded), rgb_odd)
    assert abs(measured - result.psnr) < 0.01  # the encoder reports what the decoder renders
    assert result.psnr > mean_colour_psnr(rgb_odd) + 8
    assert result.psnr > 25.0


def test_banded_decode_of_a_real_file_is_bit_identical(rgb_encoded):
    # what a large image gets (thin bands, nothing cached) against what a small one gets
    data, _ = rgb_encoded
    header, q = fmt.decode_file(data)
    banded = ddcodec.codec._render(header, q, ddcodec.codec.resolve_device("cpu"), band_rows=2, cache_bytes=0)
    np.testing.assert_array_equal(banded, ddcodec.decode_pixels(data, device="cpu"))


def test_result_record_matches_file(rgb_encoded):
    data, result = rgb_encoded
    header = ddcodec.read_header(data)
    assert result.bytes == len(data)
    assert result.bpp == pytest.approx(8 * len(data) / (47 * 33))
    assert (header.width, header.height, header.channels) == (47, 33, 3)
    assert header.net_width == result.width and header.bits == ddcodec.codec.DEFAULT_BITS == 7
    assert header.seed == 7
    assert header.target_ratio == 8.0 and header.ratio >= 8.0
    # --iters scales the default preset's progressive rounding (50 steps per layer at 2,200 since 1.18.0: 7 at 300, 6
    # layers) and adds a fine-tune of a fifth
    assert result.iterations == TEST_ITERS + 6 * 7 + TEST_ITERS // 5


def test_net_width_is_largest_within_budget():
    for h, w, c, k in [(512, 768, 3, 32), (33, 47, 3, 8), (100, 100, 1, 10)]:
        width = choose_net_width(h, w, c, k)
        assert fmt.param_count(width, 6, c) <= h * w * c / k < fmt.param_count(width + 1, 6, c)
    assert choose_net_width(512, 768, 3, 32) == 77  # DESIGN.md's prototype width at ratio 32


def test_image_too_small_names_a_working_ratio():
    with pytest.raises(ddcodec.DdcInputError, match=r"too small for ratio k=32: use k <= 3\.55"):
        ddcodec.encode(np.zeros((8, 8, 3), np.uint8), k=32, iters=1, device="cpu")


def test_a_single_pixel_round_trips():
    # every layer is 1x1: one value per channel, which F.batch_norm refuses in training
    pixel = np.array([[[162, 68, 10]]], np.uint8)
    data, result = ddcodec.encode(pixel, k=0.05, iters=300, device="cpu")
    assert result.width == 2 and result.bytes == len(data)
    assert np.abs(ddcodec.decode_pixels(data, device="cpu").astype(int) - pixel).max() <= 1


def test_grayscale_round_trip():
    pixels = smooth_image(29, 37, 1, seed=3)
    data, result = ddcodec.encode(Image.fromarray(pixels[:, :, 0]), k=4, iters=TEST_ITERS, device="cpu")
    decoded = ddcodec.decode(data, device="cpu")
    assert decoded.mode == "L" and decoded.size == (37, 29)
    assert ddcodec.read_header(data).channels == 1
    assert result.psnr > mean_colour_psnr(pixels) + 8


def test_rgba_keeps_alpha_as_fourth_channel():
    pixels = smooth_image(24, 30, 4, seed=4)
    data, result = ddcodec.encode(Image.fromarray(pixels, "RGBA"), k=4, iters=150, device="cpu")
    decoded = ddcodec.decode(data, device="cpu")
    assert decoded.mode == "RGBA" and ddcodec.read_header(data).channels == 4
    assert result.psnr > mean_colour_psnr(pixels) + 5


def test_determinism_same_bytes(rgb_odd, rgb_encoded):
    again, _ = ddcodec.encode(rgb_odd, k=8, iters=TEST_ITERS, device="cpu", seed=7)
    assert again == rgb_encoded[0]


def test_seed_is_stored_and_changes_the_file(rgb_odd):
    a, _ = ddcodec.encode(rgb_odd, k=8, iters=20, device="cpu", seed=1)
    b, _ = ddcodec.encode(rgb_odd, k=8, iters=20, device="cpu", seed=2)
    assert a != b and ddcodec.read_header(b).seed == 2


def test_low_bit_plans_round_progressively_with_their_own_steps(rgb_odd):
    """Plans at 6 bits and fewer take the schedule's low-bits progressive rounding (steps per layer, lr); 7 bits and
    more the base one. Both show in the steps the encode reports, and unset low-bits fields fall back to the base."""
    schedule = ddcodec.codec.FitSchedule(iters=60, qat_iters=0, progressive_steps=2, low_bits_progressive_steps=5,
                                         low_bits_progressive_lr=1e-3)
    assert schedule.progressive_for(7) == (2, 1e-4) and schedule.progressive_for(8) == (2, 1e-4)
    assert schedule.progressive_for(6) == (5, 1e-3) and schedule.progressive_for(4) == (5, 1e-3)
    assert dataclasses.replace(schedule, low_bits_progressive_lr=None).progressive_for(6) == (5, 1e-4)
    for bits, stages in ((6, 5), (7, 2)):
        _, result = ddcodec.encode(rgb_odd, k=8, bits=bits, preset=schedule, device="cpu")
        assert result.iterations == 60 + 6 * stages + 1
    low, _ = ddcodec.encode(rgb_odd, k=8, bits=6, preset=schedule, device="cpu")
    base, _ = ddcodec.encode(rgb_odd, k=8, bits=6, device="cpu",
                             preset=dataclasses.replace(schedule, low_bits_progressive_steps=None,
                                                        low_bits_progressive_lr=None))
    assert low != base
    # --iters scales them as it scales the base steps (the default's 50 per layer at 2,200 at every precision since
    # 1.18.0: 7 at 300; 1.16.0 to 1.33.0's best preset's 50 and 25 at 6,000: 10 and 5 at 1,200)
    scaled = ddcodec.codec._schedule("default", 300)
    assert scaled.progressive_for(6)[0] == scaled.progressive_for(7)[0] == 7
    best_1_33 = dataclasses.replace(ddcodec.PRESETS["default"], iters=6000, qat_iters=1200, progressive_steps=25)
    scaled = ddcodec.codec._schedule(best_1_33, 1200)
    assert scaled.progressive_for(6)[0] == 10 and scaled.progressive_for(7)[0] == 5
    with pytest.raises(ValueError, match="low_bits_progressive_steps must be >= 0"):
        ddcodec.codec.FitSchedule(iters=1, qat_iters=0, low_bits_progressive_steps=-1)


@pytest.mark.parametrize("bits", [4, 12])
def test_other_bit_depths_round_trip(rgb_odd, bits):
    data, result = ddcodec.encode(rgb_odd, k=8, bits=bits, iters=100, device="cpu")
    assert ddcodec.read_header(data).bits == bits
    assert abs(psnr(np.asarray(ddcodec.decode(data, device="cpu")), rgb_odd) - result.psnr) < 0.01


def test_input_kinds_agree(tmp_path, rgb_odd):
    path = tmp_path / "in.png"
    Image.fromarray(rgb_odd).save(path)
    from_array, _ = ddcodec.encode(rgb_odd, k=8, iters=5, device="cpu")
    from_path, _ = ddcodec.encode(path, k=8, iters=5, device="cpu")
    from_str, _ = ddcodec.encode(str(path), k=8, iters=5, device="cpu")
    from_pil, _ = ddcodec.encode(Image.fromarray(rgb_odd), k=8, iters=5, device="cpu")
    from_float, _ = ddcodec.encode(rgb_odd / 255.0, k=8, iters=5, device="cpu")
    assert from_array == from_path == from_str == from_pil == from_float


def test_palette_image_becomes_rgb(rgb_odd):
    data, _ = ddcodec.encode(Image.fromarray(rgb_odd).convert("P"), k=8, iters=2, device="cpu")
    assert ddcodec.read_header(data).channels == 3


def test_sixteen_bit_input_warns_and_converts():
    pixels16 = (smooth_image(24, 30, 1)[:, :, 0].astype(np.uint16) * 257)
    with pytest.warns(UserWarning, match="16-bit array reduced to 8 bits"):
        data, _ = ddcodec.encode(pixels16, k=2, iters=2, device="cpu")
    assert ddcodec.read_header(data).channels == 1
    with pytest.warns(UserWarning, match="I;16 image reduced to 8-bit grayscale"):
        ddcodec.encode(Image.fromarray(pixels16), k=2, iters=2, device="cpu")


@pytest.mark.parametrize("kwargs, message", [
    (dict(k=0), "compression ratio k must be a positive number"),
    (dict(k=float("nan")), "compression ratio k must be a positive number"),
    (dict(bits=1), "bits must be an integer from 2 to 16"),
    (dict(seed=-1), "seed must be an integer"),
    (dict(preset="turbo"), "unknown preset 'turbo'"),
    (dict(iters=-5), "iters must be a non-negative integer"),
    (dict(device="tpu"), "unknown device 'tpu'"),
    (dict(depth=0), "depth must be an integer from 1 to 10, got 0"),
    (dict(depth=11), "depth must be an integer from 1 to 10, got 11"),
])
def test_bad_options_raise_input_errors(rgb_odd, kwargs, message):
    with pytest.raises(ddcodec.DdcInputError, match=message):
        ddcodec.encode(rgb_odd, **{"iters": 1, "device": "cpu", **kwargs})


@pytest.mark.parametrize("bad, message", [
    (np.zeros((4, 4, 5), np.uint8), "expected \\(H, W\\) or \\(H, W, C\\) with C in 1..4"),
    (np.zeros((4, 4), np.int32), "unsupported array dtype int32"),
    (np.full((4, 4), 2.0), "float arrays must hold finite values in \\[0, 1\\]"),
    ("/nonexistent/x.png", "no such file"),
    (12, "cannot encode a int"),
])
def test_bad_images_raise_input_errors(bad, message):
    with pytest.raises(ddcodec.DdcInputError, match=message):
        ddcodec.encode(bad, k=1, iters=1, device="cpu")


def test_not_an_image_and_empty_file(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("hello, not a picture")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(ddcodec.DdcInputError, match="not an image Pillow can read"):
        ddcodec.encode(text, iters=1)
    with pytest.raises(ddcodec.DdcInputError, match="empty file"):
        ddcodec.encode(empty, iters=1)


def test_cuda_request_without_cuda_is_an_error(rgb_odd, rgb_encoded, monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    with pytest.raises(ddcodec.DdcInputError, match="CUDA was requested but no CUDA device"):
        ddcodec.decode(rgb_encoded[0], device="cuda")


def test_decode_rejects_damaged_bytes(rgb_encoded):
    with pytest.raises(ddcodec.DdcFormatError, match="CRC mismatch"):
        ddcodec.decode(rgb_encoded[0][:-1] + b"\0")


def test_decode_and_read_header_take_a_path_as_well_as_bytes(tmp_path, rgb_encoded):
    data = rgb_encoded[0]
    path = tmp_path / "image.ddc"
    path.write_bytes(data)
    expected = ddcodec.decode_pixels(data, device="cpu")
    for source in (path, str(path), bytearray(data), memoryview(data)):
        assert np.array_equal(ddcodec.decode_pixels(source, device="cpu"), expected)
        assert ddcodec.read_header(source) == ddcodec.read_header(data)
    assert np.array_equal(np.asarray(ddcodec.decode(path, device="cpu")), expected)
    damaged = tmp_path / "damaged.ddc"
    damaged.write_bytes(data[:-1] + b"\0")
    with pytest.raises(ddcodec.DdcFormatError, match=f"^{damaged}: CRC mismatch"):
        ddcodec.decode(damaged, device="cpu")
    with pytest.raises(ddcodec.DdcInputError, match=f"^{tmp_path / 'missing.ddc'}: No such file"):
        ddcodec.read_header(tmp_path / "missing.ddc")
    with pytest.raises(ddcodec.DdcInputError, match="cannot decode a NoneType: pass the .ddc file's bytes or its path"):
        ddcodec.decode(None)


def test_float_psnr_reports_what_quantisation_cost(rgb_encoded, rgb_odd):
    _, result = rgb_encoded
    assert result.float_psnr > 20.0
    assert abs(result.float_psnr - result.psnr) < 1.5  # fine-tuning keeps 7-bit loss small
    _, coarse = ddcodec.encode(rgb_odd, k=8, bits=3, iters=TEST_ITERS, device="cpu", seed=7)
    assert coarse.float_psnr - coarse.psnr > result.float_psnr - result.psnr  # 3 bits cost more


@functools.lru_cache(maxsize=None)
def encode_odd(schedule: ddcodec.codec.FitSchedule) -> tuple[bytes, ddcodec.codec.EncodeResult]:
    """``rgb_odd`` encoded at k=8, seed 7, on the CPU: the reference several tests compare their encodes with, fitted
    once per schedule (encodes are deterministic) to keep the suite short."""
    return ddcodec.encode(odd_rgb_image(), k=8, preset=schedule, device="cpu", seed=7)


def test_row_subsampled_fit_is_deterministic_and_still_fits(rgb_odd):
    schedule = ddcodec.codec.FitSchedule(iters=TEST_ITERS, qat_iters=TEST_ITERS // 5, row_fraction=0.5)
    first, result = ddcodec.encode(rgb_odd, k=8, preset=schedule, device="cpu", seed=7)
    second, _ = ddcodec.encode(rgb_odd, k=8, preset=schedule, device="cpu", seed=7)
    assert first == second
    assert result.psnr > mean_colour_psnr(rgb_odd) + 8
    with pytest.raises(ValueError, match="row_fraction"):
        ddcodec.codec.FitSchedule(iters=10, qat_iters=2, row_fraction=0)


@pytest.mark.parametrize("option, value, bad_values", [
    ("coarse_fraction", 0.5, (-0.1, 1.0)),  # half the main fit at half size
    ("quarter_fraction", 0.25, (-0.1, 1.0)),  # a quarter of the main fit at quarter size
    ("input_jitter", 0.005, (-0.1,)),  # noise on the fixed input while fitting, never when decoding
    ("weight_l1", 0.001, (-0.1,)),  # a penalty on the hidden convs' weight magnitudes
    ("fixed_scale", True, ()),  # the normalisations' scales stay at 1
    ("bf16", True, ()),  # the main fit's forward in bfloat16 (CPU autocast); the fine-tune and the file as before
    ("qat_bf16", True, ()),  # the fine-tune's forward in bfloat16; the decoder stays float32
    ("hessian_round", True, ()),  # the fine-tune starts from GPTQ rounding (ddcodec/rounding.py)
    ("progressive_steps", 10, (-1,)),  # GPTQ one layer at a time, the float layers above fitted after each
])
def test_schedule_option_is_deterministic_changes_the_fit_and_still_fits(rgb_odd, option, value, bad_values,
                                                                         monkeypatch):
    monkeypatch.setattr(ddcodec.fit, "BF16_MIN_BYTES", 0)  # bf16 steps on this tiny image too
    if option in ("bf16", "qat_bf16") and not ddcodec.fit.bf16_supported():
        pytest.skip("this CPU has no native bfloat16: the fit ignores bf16")
    schedule = ddcodec.codec.FitSchedule(iters=TEST_ITERS, qat_iters=TEST_ITERS // 5, **{option: value})
    first, result = ddcodec.encode(rgb_odd, k=8, preset=schedule, device="cpu", seed=7)
    second, _ = ddcodec.encode(rgb_odd, k=8, preset=schedule, device="cpu", seed=7)
    plain, _ = encode_odd(dataclasses.replace(schedule, **{option: 0.0}))
    assert first == second != plain
    assert result.psnr > mean_colour_psnr(rgb_odd) + 8
    # what encode reports is what decode renders (for jitter: the decoder's input is the clean one)
    assert abs(result.psnr - ddcodec.codec.psnr(rgb_odd, ddcodec.decode_pixels(first, "cpu"))) < 0.01
    for bad in bad_values:
        with pytest.raises(ValueError, match=option):
            ddcodec.codec.FitSchedule(iters=10, qat_iters=2, **{option: bad})


def test_bf16_leaves_fits_of_small_layers_in_float32(rgb_odd, monkeypatch):
    """bfloat16 steps only where the layers are large (fit.BF16_MIN_BYTES) and the CPU has native bfloat16: a
    small image's file is the float32 fit's, byte for byte, as it is on a CPU without bfloat16."""
    schedule = ddcodec.codec.FitSchedule(iters=60, qat_iters=12)
    plain, _ = ddcodec.encode(rgb_odd, k=8, preset=schedule, device="cpu", seed=7)
    with_bf16 = dataclasses.replace(schedule, bf16=True, qat_bf16=True)
    assert ddcodec.encode(rgb_odd, k=8, preset=with_bf16, device="cpu", seed=7)[0] == plain
    monkeypatch.setattr(ddcodec.fit, "BF16_MIN_BYTES", 0)
    monkeypatch.setattr(ddcodec.fit, "bf16_supported", lambda: False)
    assert ddcodec.encode(rgb_odd, k=8, preset=with_bf16, device="cpu", seed=7)[0] == plain


def stored(data: bytes, prefix: str) -> torch.Tensor:
    """The dequantised weights of a file whose names start with ``prefix``, flattened into one tensor."""
    header, q = fmt.decode_file(data)
    weights = dequantize(q, header.steps, header.bits, header.net_width, header.depth, header.channels)
    return torch.cat([w.flatten() for n, w in weights.items() if n.startswith(prefix)])


def mean_hidden_code(data: bytes) -> float:
    """Mean |code| / qmax of the hidden convs: their dequantised (row-normalised) weights' mean magnitude."""
    return float(stored(data, "conv").abs().mean())


def test_weight_l1_draws_the_stored_codes_towards_zero(rgb_odd):
    schedule = ddcodec.codec.FitSchedule(iters=TEST_ITERS, qat_iters=TEST_ITERS // 5)
    plain, _ = ddcodec.encode(rgb_odd, k=8, preset=schedule, device="cpu", seed=7)
    pulled, _ = ddcodec.encode(rgb_odd, k=8, preset=dataclasses.replace(schedule, weight_l1=0.01), device="cpu",
                               seed=7)
    assert mean_hidden_code(pulled) < mean_hidden_code(plain) - 0.05


def test_fixed_scale_stores_unit_scales_and_packs_them_to_almost_nothing(rgb_odd):
    schedule = ddcodec.codec.FitSchedule(iters=TEST_ITERS, qat_iters=TEST_ITERS // 5)
    fitted, _ = ddcodec.encode(rgb_odd, k=8, preset=schedule, device="cpu", seed=7)
    fixed, result = ddcodec.encode(rgb_odd, k=8, preset=dataclasses.replace(schedule, fixed_scale=True),
                                   device="cpu", seed=7)
    scales = stored(fixed, "scale")
    assert scales.numel() == 6 * result.width and torch.allclose(scales, torch.ones_like(scales))
    assert (stored(fitted, "scale") - 1).abs().max() > 0.05
    # same k, so the same width; one repeated code per scale vector: the file is smaller by most of those weights
    assert len(fixed) < len(fitted) - 3 * result.width  # 6 x width scales, about 0.85 bytes each when fitted
    # fixed scales are written in version 4's compact layout (fitted ones cannot be), which decodes to the pixels
    # of the same network written in the version before it
    header, q = fmt.decode_file(fixed)
    legacy = fmt.encode_file(dataclasses.replace(header, version=0), q)
    assert fixed[4] == fmt.COMPACT_VERSION and fitted[4] == legacy[4] == 1 and len(fixed) < len(legacy) - 40
    np.testing.assert_array_equal(ddcodec.decode_pixels(fixed, device="cpu"),
                                  ddcodec.decode_pixels(legacy, device="cpu"))


def test_fine_tune_can_have_its_own_weight_penalty(rgb_odd):
    schedule = ddcodec.codec.FitSchedule(iters=TEST_ITERS, qat_iters=TEST_ITERS // 5, weight_l1=0.01)
    both, with_both = ddcodec.encode(rgb_odd, k=8, preset=schedule, device="cpu", seed=7)
    main_only, with_main = ddcodec.encode(rgb_odd, k=8, preset=dataclasses.replace(schedule, qat_weight_l1=0.0),
                                          device="cpu", seed=7)
    assert with_both.float_psnr == with_main.float_psnr  # the same main fit
    assert both != main_only
    with pytest.raises(ValueError, match="qat_weight_l1"):
        ddcodec.codec.FitSchedule(iters=10, qat_iters=2, qat_weight_l1=-1.0)


def test_a_penalty_relative_to_the_fit_ranges_from_its_floor_to_its_strength(rgb_odd):
    schedule = ddcodec.codec.FitSchedule(iters=TEST_ITERS, qat_iters=TEST_ITERS // 5, weight_l1=0.01)
    files = {l1: ddcodec.encode(rgb_odd, k=8, preset=dataclasses.replace(schedule, weight_l1=l1), device="cpu",
                                seed=7)[0] for l1 in (0.01, 0.005)}
    # a reference PSNR no fit reaches: the MSE stays above the reference's, so every step has the full strength
    strong, _ = ddcodec.encode(rgb_odd, k=8, preset=dataclasses.replace(schedule, l1_ref_db=200.0), device="cpu",
                               seed=7)
    # one every fit reaches at once: the floor's strength from the first step
    weak, _ = ddcodec.encode(rgb_odd, k=8, preset=dataclasses.replace(schedule, l1_ref_db=-200.0, l1_floor=0.5),
                             device="cpu", seed=7)
    assert strong == files[0.01] and weak == files[0.005] and files[0.01] != files[0.005]
    assert dataclasses.replace(schedule, l1_ref_db=30.0, l1_floor=0.25).planning_weight_l1 == 0.0025
    assert schedule.planning_weight_l1 == 0.01
    for bad in (0.0, 1.5):
        with pytest.raises(ValueError, match="l1_floor"):
            ddcodec.codec.FitSchedule(iters=10, qat_iters=2, l1_floor=bad)


def test_a_ramped_penalty_moves_from_its_start_to_its_end(rgb_odd):
    schedule = ddcodec.codec.FitSchedule(iters=TEST_ITERS, qat_iters=TEST_ITERS // 5, weight_l1=0.002)
    plain, fixed = encode_odd(schedule)
    level, _ = ddcodec.encode(rgb_odd, k=8, preset=dataclasses.replace(schedule, weight_l1_end=0.002), device="cpu",
                              seed=7)
    assert level == plain  # a ramp that goes nowhere is the fixed strength, bit for bit
    ramped, via_ramp = ddcodec.encode(rgb_odd, k=8, preset=dataclasses.replace(schedule, weight_l1_end=0.05),
                                      device="cpu", seed=7)
    strong, at_end = encode_odd(dataclasses.replace(schedule, weight_l1=0.05))
    # between the two fixed strengths, in the pull on the codes and in what it costs the fit (29.9, 25.4, 19.8 dB)
    assert mean_hidden_code(strong) < mean_hidden_code(ramped) < mean_hidden_code(plain)
    assert at_end.psnr + 2 < via_ramp.psnr < fixed.psnr - 2
    ramp = dataclasses.replace(schedule, weight_l1_end=0.05)
    assert (ramp.final_weight_l1, ramp.planning_weight_l1, schedule.final_weight_l1) == (0.05, 0.002, 0.002)
    with pytest.raises(ValueError, match="weight_l1_end"):
        ddcodec.codec.FitSchedule(iters=10, qat_iters=2, weight_l1_end=-1.0)


def test_penalty_tries_keep_the_file_that_decodes_best(rgb_odd):
    schedule = ddcodec.codec.FitSchedule(iters=TEST_ITERS, qat_iters=TEST_ITERS // 5, weight_l1=0.002)
    # by k the plan does not depend on the penalty, so each candidate is the encode at its own strength
    alone = {l1: encode_odd(dataclasses.replace(schedule, weight_l1=l1)) for l1 in (0.002, 0.05)}
    assert alone[0.002][1].psnr > alone[0.05][1].psnr + 2  # the strong pull costs this small fit dearly
    data, result = ddcodec.encode(rgb_odd, k=8, preset=dataclasses.replace(schedule, weight_l1_tries=(0.05,)),
                                  device="cpu", seed=7)
    assert data == alone[0.002][0] and result.weight_l1 == 0.002 and result.penalties == 2
    # more strengths: each a whole encode of the same schedule at it, in the order given, after the schedule's own
    many = ddcodec.codec._penalty_candidates(dataclasses.replace(schedule, weight_l1_tries=(0.05, 0.001)))
    assert [c.weight_l1 for c in many] == [0.002, 0.05, 0.001] and all(c.weight_l1_tries == () for c in many)
    assert many[1] == dataclasses.replace(schedule, weight_l1=0.05)
    # and the other way round: the first strength loses, the tried one is kept
    data, result = ddcodec.encode(rgb_odd, k=8, preset=dataclasses.replace(schedule, weight_l1=0.05,
                                                                           weight_l1_tries=(0.002,)), device="cpu",
                                  seed=7)
    assert data == alone[0.002][0] and result.weight_l1 == 0.002 and result.penalties == 2
    assert alone[0.05][1].weight_l1 == 0.05 and alone[0.05][1].penalties == 1
    for bad in ((-1.0,), [0.001], (True,)):
        with pytest.raises(ValueError, match="weight_l1_tries"):
            ddcodec.codec.FitSchedule(iters=10, qat_iters=2, weight_l1_tries=bad)


@pytest.mark.parametrize("beta", ["beta1", "beta2"])
def test_adam_betas_reach_the_main_fit(rgb_odd, beta):
    schedule = ddcodec.codec.FitSchedule(iters=TEST_ITERS, qat_iters=TEST_ITERS // 5)
    _, plain = ddcodec.encode(rgb_odd, k=8, preset=schedule, device="cpu", seed=7)
    _, other = ddcodec.encode(rgb_odd, k=8, preset=dataclasses.replace(schedule, **{beta: 0.8}), device="cpu", seed=7)
    assert other.float_psnr != plain.float_psnr  # another main fit
    with pytest.raises(ValueError, match=f"{beta} must be in"):
        ddcodec.codec.FitSchedule(iters=10, qat_iters=2, **{beta: 1.0})


@pytest.mark.parametrize("depth", [3, 8])
def test_other_depths_round_trip(rgb_odd, depth):
    data, result = ddcodec.encode(rgb_odd, k=8, depth=depth, iters=TEST_ITERS, device="cpu", seed=7)
    header = ddcodec.read_header(data)
    assert header.depth == result.depth == depth
    # the width is the widest that this depth's parameter count allows at k=8
    assert header.net_width == result.width == choose_net_width(33, 47, 3, 8, depth)
    assert fmt.param_count(result.width, depth, 3) <= 33 * 47 * 3 / 8 < fmt.param_count(result.width + 1, depth, 3)
    assert abs(psnr(np.asarray(ddcodec.decode(data, device="cpu")), rgb_odd) - result.psnr) < 0.01
    assert result.psnr > mean_colour_psnr(rgb_odd) + 5  # a real fit (depth 3 here: +6.7 dB, depth 6: +8)
    by_bpp, planned = ddcodec.encode(rgb_odd, bpp=result.bpp, bits=7, depth=depth, iters=2, device="cpu")
    assert ddcodec.read_header(by_bpp).depth == depth and planned.width == result.width


def test_tries_finishes_the_seed_whose_half_size_stage_ended_best(rgb_odd):
    """--tries fits each seed through the reduced-size stages and finishes the best there: the file is the one a plain
    encode of that seed makes, byte for byte, and the seed is the one whose half-size stage reached the lowest loss
    over its last steps (fit.PICK_WINDOW; here the stage is 20 steps, all of them), read from plain encodes'
    progress."""
    iters = 80
    pick = ddcodec.fit.seed_pick_step(ddcodec.codec._schedule("default", iters))
    assert pick == 40
    reports = []
    data, result = ddcodec.encode(rgb_odd, k=8, iters=iters, device="cpu", seed=5, tries=3,
                                  progress=lambda done, total, db: reports.append((done, total)))
    singles, stage_end = {}, {}
    for seed in (5, 6, 7):
        trace = {}
        singles[seed] = ddcodec.encode(rgb_odd, k=8, iters=iters, device="cpu", seed=seed,
                                       progress=lambda done, total, db, trace=trace: trace.setdefault(done, db))
        stage_end[seed] = max(trace[done] for done in range(pick - 19, pick + 1))
    chosen = max(stage_end, key=stage_end.get)
    assert result.tries == 3 and result.seed == chosen == ddcodec.read_header(data).seed
    assert data == singles[chosen][0] and result.psnr == singles[chosen][1].psnr
    assert len({round(v, 6) for v in stage_end.values()}) == 3  # the seeds do differ
    # the other seeds cost their reduced-size stages only, and progress counts them, never going back
    assert result.iterations == singles[chosen][1].iterations + 2 * pick
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)
    assert reports[-1] == (result.iterations, result.iterations)


def test_tries_without_reduced_size_stages_fits_every_seed_and_keeps_the_best_file(rgb_odd):
    plain = ddcodec.fit.FitSchedule(iters=30, qat_iters=5)
    assert ddcodec.fit.seed_pick_step(plain) is None
    data, result = ddcodec.encode(rgb_odd, k=8, preset=plain, device="cpu", seed=5, tries=3)
    singles = {s: ddcodec.encode(rgb_odd, k=8, preset=plain, device="cpu", seed=s) for s in (5, 6, 7)}
    best_seed = max(singles, key=lambda s: singles[s][1].psnr)
    assert result.tries == 3 and result.seed == best_seed == ddcodec.read_header(data).seed
    assert data == singles[best_seed][0]
    assert len({round(r.psnr, 6) for _, r in singles.values()}) > 1  # the seed does change the fit


@pytest.mark.parametrize("kwargs, message", [
    (dict(tries=0), "tries must be a positive integer"),
    (dict(tries=2, seed=2**32 - 1), "do not all fit in 32 bits"),
])
def test_bad_tries(rgb_odd, kwargs, message):
    with pytest.raises(ddcodec.DdcInputError, match=message):
        ddcodec.encode(rgb_odd, k=8, iters=1, device="cpu", **kwargs)


def test_a_gpu_fit_too_large_for_torchs_upsampling_is_refused_with_the_ratio_that_fits():
    from ddcodec.codec import check_gpu_fit
    from ddcodec.errors import DdcInputError

    # 4096x4096 at k=32 is width 510: 8.6 billion values per full-resolution activation
    with pytest.raises(DdcInputError, match=r"a width-510 network is too large .* use -k 503 or more, or --device cpu"):
        check_gpu_fit(4096, 4096, 3, choose_net_width(4096, 4096, 3, 32), 6)
    check_gpu_fit(4096, 4096, 3, choose_net_width(4096, 4096, 3, 503), 6)  # width 127: fits
    with pytest.raises(DdcInputError, match=r"2 width-127 networks are .* -k 503 or more and --batch 1"):
        check_gpu_fit(4096, 4096, 3, 127, 6, batch=2)
