"""The .ddc container: exact bytes, round trips, range checks and every kind of damage."""
from __future__ import annotations

import dataclasses
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ddcodec import format as fmt
from ddcodec.errors import DdcFormatError


def make_header(**overrides) -> fmt.DdcHeader:
    values = dict(height=40, width=48, channels=3, net_width=4, depth=2, seed=123456, bits=8,
                  steps=(0.5,) * fmt.n_steps(2, 3), target_ratio=32.0)
    values.update(overrides)
    if "steps" not in overrides:
        values["steps"] = (0.5,) * fmt.n_steps(values["depth"], values["channels"])
    return fmt.DdcHeader(**values)


def make_weights(header: fmt.DdcHeader, seed: int = 0) -> np.ndarray:
    qmax = 2 ** (header.bits - 1) - 1
    return np.random.default_rng(seed).integers(-qmax, qmax + 1, header.n_params)


def with_crc(body: bytes) -> bytes:
    return body + struct.pack("<I", zlib.crc32(body))


def test_exact_header_bytes():
    h = make_header()
    data = fmt.encode_file(h, make_weights(h))
    assert data[:4] == b"\x89DDC"
    expected_fixed = struct.pack("<BHHBHBBBIBBf", 1, 40, 48, 3, 4, 2, 0, 0, 123456, 8, 0, 32.0)
    assert data[4:25] == expected_fixed
    assert data[25:25 + 4 * 7] == struct.pack("<7f", *([0.5] * 7))
    (payload_size,) = struct.unpack_from("<I", data, 53)
    assert len(data) == 53 + 4 + payload_size + 4
    assert struct.unpack("<I", data[-4:])[0] == zlib.crc32(data[:-4])


def test_round_trip_header_and_weights():
    h = make_header(bits=12, channels=1, seed=2**32 - 1, target_ratio=7.25)
    q = make_weights(h)
    header, q2 = fmt.decode_file(fmt.encode_file(h, q))
    assert header == h
    np.testing.assert_array_equal(q, q2)
    assert fmt.read_header(fmt.encode_file(h, q)) == h


def test_param_count_formula():
    # DESIGN.md: w = 64, depth 6, RGB -> 25,536 parameters
    assert fmt.param_count(64, 6, 3) == 25_536
    assert sum(int(np.prod(s)) for _, s in fmt.weight_shapes(64, 6, 3)) == 25_536


def test_weight_order_is_fixed():
    names = [n for n, _ in fmt.weight_shapes(5, 2, 3)]
    assert names == ["conv0", "scale0", "shift0", "conv1", "scale1", "shift1", "out"]


@pytest.mark.parametrize("field, value", [
    ("height", 0), ("height", 65536), ("width", 0), ("channels", 0), ("channels", 5),
    ("net_width", 0), ("net_width", 4097), ("depth", 0), ("depth", 11), ("seed", -1),
    ("seed", 2**32), ("bits", 1), ("bits", 17), ("target_ratio", 0.0), ("target_ratio", -3.0),
    ("target_ratio", float("nan")), ("target_ratio", float("inf")), ("upsample", 2), ("quant", 1),
])
def test_field_out_of_range_raises(field, value):
    h = make_header(**{field: value}) if field not in ("channels", "depth") else None
    if h is None:
        steps = (0.5,) * max(1, fmt.n_steps(max(value, 1), max(value, 1)))
        h = make_header(**{field: value, "steps": steps})
    with pytest.raises(DdcFormatError, match=f"header field {field}="):
        fmt.encode_file(h, np.zeros(max(h.n_params, 1), np.int64))


@pytest.mark.parametrize("step", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_step_raises(step):
    h = make_header(steps=(step,) + (0.5,) * 6)
    with pytest.raises(DdcFormatError, match="quantisation step"):
        fmt.encode_file(h, make_weights(h))


def test_wrong_step_count_raises():
    h = make_header(steps=(0.5,) * 3)
    with pytest.raises(DdcFormatError, match="expected 7 quantisation steps, got 3"):
        fmt.encode_file(h, make_weights(h))


def test_weights_out_of_bit_range_raise():
    h = make_header(bits=4)
    q = make_weights(h)
    q[0] = 8
    with pytest.raises(DdcFormatError, match="4-bit range"):
        fmt.encode_file(h, q)


def test_wrong_weight_count_raises():
    h = make_header()
    with pytest.raises(DdcFormatError, match=f"expected {h.n_params} weights"):
        fmt.encode_file(h, np.zeros(h.n_params - 1, np.int64))


@pytest.fixture(scope="module")
def good_file() -> bytes:
    h = make_header()
    return fmt.encode_file(h, make_weights(h))


def test_empty_file(good_file):
    with pytest.raises(DdcFormatError, match="empty file"):
        fmt.read_header(b"")


def test_wrong_magic(good_file):
    with pytest.raises(DdcFormatError, match="wrong magic"):
        fmt.read_header(b"\x89PNG" + good_file[4:])


def test_truncated_files(good_file):
    for n in (2, 5, 20, 60, len(good_file) - 1):
        with pytest.raises(DdcFormatError, match="truncated|CRC mismatch"):
            fmt.decode_file(good_file[:n])


def test_bit_flip_is_a_crc_mismatch(good_file):
    for pos in (10, 40, len(good_file) - 10):
        damaged = bytearray(good_file)
        damaged[pos] ^= 0x10
        with pytest.raises(DdcFormatError, match="CRC mismatch"):
            fmt.decode_file(bytes(damaged))


def test_newer_version_is_refused(good_file):
    body = bytearray(good_file[:-4])
    body[4] = 5
    with pytest.raises(DdcFormatError, match="format version 5 is newer than this ddcodec supports"):
        fmt.read_header(with_crc(bytes(body)))


def test_version_2_header_bytes_carry_the_depthwise_mask():
    h = make_header(depthwise=0b10)
    assert h.version == 2 and h.depthwise_layers == [1]
    data = fmt.encode_file(h, make_weights(h))
    expected_fixed = struct.pack("<BHHBHBBBIBBfH", 2, 40, 48, 3, 4, 2, 0, 0, 123456, 8, 0, 32.0, 0b10)
    assert data[4:27] == expected_fixed
    assert data[27:27 + 4 * 7] == struct.pack("<7f", *([0.5] * 7))
    (payload_size,) = struct.unpack_from("<I", data, 55)
    assert len(data) == 55 + 4 + payload_size + 4
    header, q = fmt.decode_file(data)
    assert header == h
    np.testing.assert_array_equal(q, make_weights(h))


def test_version_3_header_bytes_carry_the_layer_widths():
    h = make_header(depthwise=0b11, widths=(4, 3))
    assert h.version == 3 and h.layer_widths == [4, 3] and h.max_width == 4
    # conv0 4x4, scale, shift, dw0 4x9; conv1 3x4, scale, shift, dw1 3x9; out 3x3
    assert h.n_params == 16 + 8 + 36 + 12 + 6 + 27 + 9
    data = fmt.encode_file(h, make_weights(h))
    expected_fixed = struct.pack("<BHHBHBBBIBBfH", 3, 40, 48, 3, 4, 2, 0, 0, 123456, 8, 0, 32.0, 0b11)
    assert data[4:27] == expected_fixed
    assert data[27:31] == struct.pack("<2H", 4, 3)
    assert data[31:31 + 4 * 7] == struct.pack("<7f", *([0.5] * 7))
    (payload_size,) = struct.unpack_from("<I", data, 59)
    assert len(data) == 59 + 4 + payload_size + 4
    header, q = fmt.decode_file(data)
    assert header == h
    np.testing.assert_array_equal(q, make_weights(h))
    assert fmt.header_dict(header)["layer_widths"] == [4, 3]
    assert fmt.payload_stats(data)["weights"] == h.n_params


def test_layer_widths_all_the_input_width_stay_version_1_or_2():
    assert make_header(widths=(4, 4)).version == 1 and make_header(widths=(4, 4)).widths == ()
    assert make_header(widths=(4, 4), depthwise=1).version == 2


def test_layer_widths_need_version_3_and_a_sane_range():
    h = make_header(widths=(5, 3), version=2)
    with pytest.raises(DdcFormatError, match="layers of their own widths need format version 3"):
        fmt.encode_file(h, np.zeros(h.n_params, np.int64))
    good = make_header(widths=(5, 3))
    good_file = fmt.encode_file(good, make_weights(good))
    body = bytearray(good_file[:-4])
    struct.pack_into("<H", body, 27, 0)  # layer 0's width
    with pytest.raises(DdcFormatError, match=r"layer width 0 out of range \[1, 4096\]"):
        fmt.read_header(with_crc(bytes(body)))
    with pytest.raises(DdcFormatError, match="truncated file \\(layer widths incomplete\\)"):
        fmt.read_header(with_crc(good_file[:4 + 23 + 1]))


def test_headers_without_kernels_stay_version_1():
    # decoders before version 2 keep reading every file that has no depthwise kernels
    assert make_header().version == 1
    assert fmt.encode_file(make_header(), make_weights(make_header()))[4] == 1
    explicit = make_header(version=2)  # a writer may still choose version 2
    data = fmt.encode_file(explicit, make_weights(explicit))
    assert data[4] == 2 and fmt.read_header(data) == explicit and fmt.read_header(data).depthwise == 0


def test_depthwise_kernels_need_version_2():
    h = make_header(depthwise=1, version=1)
    with pytest.raises(DdcFormatError, match="depthwise kernels need format version 2"):
        fmt.encode_file(h, make_weights(h))


def test_depthwise_mask_beyond_the_depth_is_refused():
    h = make_header(depthwise=0b100)  # depth 2: layers 0 and 1 only
    with pytest.raises(DdcFormatError, match="depthwise=0x4 names a layer beyond depth 2"):
        fmt.encode_file(h, np.zeros(h.n_params, np.int64))
    good = make_header(depthwise=0b11)
    body = bytearray(fmt.encode_file(good, make_weights(good))[:-4])
    struct.pack_into("<H", body, 25, 0b111)
    with pytest.raises(DdcFormatError, match="names a layer beyond depth 2"):
        fmt.read_header(with_crc(bytes(body)))


def test_depthwise_kernels_in_the_weight_order_and_count():
    names = [n for n, _ in fmt.weight_shapes(5, 2, 3, depthwise=0b10)]
    assert names == ["conv0", "scale0", "shift0", "conv1", "scale1", "shift1", "dw1", "out"]
    assert dict(fmt.weight_shapes(5, 2, 3, 0b10))["dw1"] == (5, 9)
    for mask in (0, 0b1, 0b111111):
        shapes = fmt.weight_shapes(64, 6, 3, mask)
        assert fmt.param_count(64, 6, 3, mask) == sum(int(np.prod(s)) for _, s in shapes)
    assert fmt.param_count(64, 6, 3, 0b111111) == 25_536 + 6 * 9 * 64


def test_absurd_size_refused_before_allocating(good_file):
    body = bytearray(good_file[:-4])
    struct.pack_into("<HH", body, 5, 65535, 65535)
    with pytest.raises(DdcFormatError, match="exceeds the limit"):
        fmt.decode_file(with_crc(bytes(body)))


def test_payload_size_mismatch(good_file):
    body = bytearray(good_file[:-4])
    struct.pack_into("<I", body, 53, 5)
    with pytest.raises(DdcFormatError, match="payload size 5 does not match"):
        fmt.read_header(with_crc(bytes(body)))


def test_payload_that_decompresses_to_the_wrong_size(good_file):
    import zstandard
    payload = zstandard.ZstdCompressor().compress(b"\0" * 10)
    body = good_file[:53] + struct.pack("<I", len(payload)) + payload
    with pytest.raises(DdcFormatError, match="the header implies"):
        fmt.decode_file(with_crc(body))


def test_format_module_imports_no_torch():
    code = "import sys, ddcodec.format; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=120))
def test_random_bytes_only_raise_format_errors(blob):
    with pytest.raises(DdcFormatError):
        fmt.decode_file(blob)


@pytest.mark.parametrize("compact", [False, True])
@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_any_byte_change_is_detected(compact, position, value):
    """In version 1 and in version 4's compact layout (with layer widths and kernels)."""
    h, q = make_compact(depthwise=0b10, widths=(4, 3)) if compact else (make_header(), make_weights(make_header()))
    data = bytearray(fmt.encode_file(h, q))
    position %= len(data)
    if data[position] == value:
        return
    data[position] = value
    with pytest.raises(DdcFormatError):
        fmt.decode_file(bytes(data))


def test_cli_and_info_import_no_torch():
    """`ddcodec info` must stay header-only and fast: torch loads only to fit or render."""
    code = "import sys, ddcodec.cli, ddcodec.presets; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


SCALE_STEP = float(np.float32(1) / np.float32(63))  # what quant.quantize gives a scale of 1 at 7 bits


def make_compact(**overrides) -> tuple[fmt.DdcHeader, np.ndarray]:
    """A version-4 header and its codes: every scale code 63 at step 1/63 (float32), the other steps bfloat16 values."""
    depth = overrides.get("depth", 2)
    steps = [step for i in range(depth) for step in (SCALE_STEP, 0.5 / (i + 1))] + [0.01171875, 1.0, 2.5]
    h = make_header(bits=7, version=fmt.COMPACT_VERSION, steps=overrides.pop("steps", tuple(steps)), **overrides)
    q = make_weights(h)
    q[scale_positions(h)] = 63
    return h, q


def scale_positions(h: fmt.DdcHeader) -> np.ndarray:
    """Where the normalisation scales' codes sit in the flat codes."""
    at, pos = [], 0
    for name, shape in fmt.weight_shapes(h.net_width, h.depth, h.channels, h.depthwise, h.widths):
        n = int(np.prod(shape))
        if name.startswith("scale"):
            at += range(pos, pos + n)
        pos += n
    return np.array(at)


def without_scales(h: fmt.DdcHeader, q: np.ndarray) -> np.ndarray:
    return np.delete(q, scale_positions(h))


def test_version_4_exact_bytes_and_the_same_network_as_version_1():
    h, q = make_compact()
    assert fmt.fits_compact(h, q) and not fmt.fits_compact(make_header(), make_weights(make_header()))
    data = fmt.encode_file(h, q)
    assert data[:27] == b"\x89DDC" + struct.pack("<BHHBHBBBIBBfH", 4, 40, 48, 3, 4, 2, 0, 0, 123456, 7, 0, 32.0, 0)
    assert data[27:34] == struct.pack("<BHf", 0, 63, SCALE_STEP)  # layout (no widths), the scales' code and step
    # the README's header sizes at the default depth on RGB, kernels on: 56 bytes around the payload, 95 in version 2
    six = make_header(depth=6, depthwise=fmt.all_layers(6), steps=(1.0,) * fmt.n_steps(6, 3))
    six_q = np.zeros(six.n_params, np.int64)
    for layout, expected in ((0, 95), (fmt.COMPACT_VERSION, 56)):
        six_q[scale_positions(six)] = 1
        written = fmt.encode_file(dataclasses.replace(six, version=layout), six_q)
        stored = without_scales(six, six_q) if layout else six_q
        assert len(written) - len(fmt.compress_codes(stored, 8)) == expected
    halves = [0x3F00, 0x3E80, 0x3C40, 0x3F80, 0x4020]  # bfloat16: shift steps 0.5, 0.25; out 0.01171875, 1, 2.5
    assert data[34:44] == struct.pack("<5H", *halves)
    payload = data[44:-4]  # no size field: the payload runs to the CRC, and holds no scale codes
    assert payload == fmt.compress_codes(without_scales(h, q), 7)
    assert struct.unpack("<I", data[-4:])[0] == zlib.crc32(data[:-4])
    header, q2 = fmt.decode_file(data)
    assert header == h
    np.testing.assert_array_equal(q2, q)
    # the same network in version 1 (21 bytes longer at this depth: 2 scale steps, 5 steps of 4 bytes not 2, the
    # size field, less 7 bytes of fields, and the scales' 8 codes) decodes to the same header values and codes
    legacy = fmt.encode_file(make_header(bits=7, steps=h.steps), q)
    legacy_header, legacy_q = fmt.decode_file(legacy)
    assert legacy[4] == 1 and legacy_header.steps == header.steps and len(legacy) == len(data) + 21
    np.testing.assert_array_equal(legacy_q, q2)
    assert fmt.payload_stats(data)["weights"] == h.n_params - 2 * 4


def test_version_4_holds_the_layer_widths_and_kernels():
    h, q = make_compact(depthwise=0b11, widths=(4, 3))
    data = fmt.encode_file(h, q)
    assert data[4] == 4 and data[27] == fmt.LAYOUT_WIDTHS and data[34:38] == struct.pack("<2H", 4, 3)
    header, q2 = fmt.decode_file(data)
    assert header == h and header.layer_widths == [4, 3]
    np.testing.assert_array_equal(q2, q)


def test_version_4_refuses_networks_it_cannot_hold():
    h, q = make_compact()
    message = "format version 4 holds networks whose normalisation scales share one code and one step"
    one_differs, all_zero = q.copy(), q.copy()
    one_differs[scale_positions(h)[5]] = 62
    all_zero[scale_positions(h)] = 0
    for bad_q, bad_h in ((one_differs, h), (all_zero, h),
                         (q, make_compact(steps=(SCALE_STEP, 0.3, SCALE_STEP, 0.25, 1.0, 1.0, 1.0))[0]),  # 0.3
                         (q, make_compact(steps=(SCALE_STEP, 0.5, 0.5 / 63, 0.25, 1.0, 1.0, 1.0))[0])):  # two steps
        with pytest.raises(DdcFormatError, match=message):
            fmt.encode_file(bad_h, bad_q)


def test_version_4_damage_is_a_format_error():
    import zstandard
    h, q = make_compact()
    data = fmt.encode_file(h, q)
    body = bytearray(data[:-4])
    struct.pack_into("<H", body, 28, 64)  # a scale code beyond 7 bits
    with pytest.raises(DdcFormatError, match="scale_code=64 exceeds the 7-bit range"):
        fmt.read_header(with_crc(bytes(body)))
    with pytest.raises(DdcFormatError, match=r"quantisation steps incomplete"):
        fmt.read_header(with_crc(data[:40]))
    with pytest.raises(DdcFormatError, match="not one whole zstd frame"):
        fmt.decode_file(with_crc(data[:-4] + b"\0\0"))
    unsized = zstandard.ZstdCompressor(write_content_size=False).compress(b"\0" * 10)
    with pytest.raises(DdcFormatError, match="does not state its size"):
        fmt.decode_file(with_crc(data[:44] + unsized))
    zero_step = bytearray(data[:-4])
    struct.pack_into("<H", zero_step, 34, 0)
    with pytest.raises(DdcFormatError, match="quantisation step 0.0 must be positive"):
        fmt.read_header(with_crc(bytes(zero_step)))
