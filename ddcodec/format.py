"""The .ddc container, versions 1 to 4: header, zstd payload of quantised weights, CRC32.

The header is the complete recipe of the network, so a decoder needs nothing else.
It is declared as data (``FIELDS``) and written and read by the same table, so the
two directions cannot drift apart. Named choices are indices into fixed tables.
This module imports no torch: ``read_header`` is cheap and serves ``ddcodec info``.

Layout (all integers little-endian; README "The .ddc file format" has the prose version)::

    magic        4 bytes  b"\\x89DDC"
    fixed fields          FIELDS below, in order (version 2 and 3: then FIELDS_V2's depthwise mask)
    layer widths uint16 x depth   version 3 only: each hidden layer's width (``weight_shapes``)
    steps        float32 x (2 * depth + channels)
    payload_size uint32
    payload      zstd frame of the quantised weights (see ``weight_shapes``)
    crc32        uint32   over every byte before it

Version 4, the compact layout (``FIELDS_V4``), holds the networks whose normalisation scales are fixed: every
scale one code with one step, stored once in the fixed fields; the scales' codes and steps are left out, the other
steps are bfloat16 (the upper halves of float32s), and the payload runs to the CRC (no size field)::

    magic, fixed fields (version 2's, then layout, scale_code, scale_step)
    layer widths uint16 x depth   where layout bit 0 is set
    steps        bfloat16 x (depth + channels): shift0, shift1, ..., then one per output-conv row
    payload      zstd frame of the codes in ``weight_shapes`` order without the scales'
    crc32
"""
from __future__ import annotations

import math
import os
import struct
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, fields as dataclass_fields
from typing import Iterator, NamedTuple, Union

import numpy as np
import zstandard

from .errors import DdcFormatError, DdcInputError, os_error_message

MAGIC = b"\x89DDC"
FORMAT_VERSION = 4  # the newest this module reads and writes; a header is written at the lowest version it needs,
COMPACT_VERSION = 4  # or, by an encoder's choice, in the compact layout where it fits (``fits_compact``)

UPSAMPLE_MODES = ("bilinear", "nearest")
NORM_MODES = ("batch-stats",)
QUANT_SCHEMES = ("rownorm-v1",)

# Refuse headers that would make the decoder allocate absurd amounts of memory.
MAX_PIXELS = 1 << 26  # 67 megapixels, e.g. 8192 x 8192
MAX_ACTIVATION_VALUES = 1 << 33  # net_width * pixels: bounds decode work (memory is bounded by banding)
ZSTD_LEVEL = 19


class Field(NamedTuple):
    name: str
    fmt: str  # struct code, little-endian
    lo: float
    hi: float


FIELDS: tuple[Field, ...] = (
    Field("version", "B", 1, 255),
    Field("height", "H", 1, 65535),
    Field("width", "H", 1, 65535),
    Field("channels", "B", 1, 4),
    Field("net_width", "H", 1, 4096),
    Field("depth", "B", 1, 10),
    Field("upsample", "B", 0, len(UPSAMPLE_MODES) - 1),
    Field("norm", "B", 0, len(NORM_MODES) - 1),
    Field("seed", "I", 0, 2**32 - 1),
    Field("bits", "B", 2, 16),
    Field("quant", "B", 0, len(QUANT_SCHEMES) - 1),
    Field("target_ratio", "f", 0.0, math.inf),
)
# Version 2 adds one field: bit i set means hidden layer i has a 3x3 depthwise kernel per channel after
# its upsampling (weight_shapes' dw{i}). Headers without kernels are written as version 1, which
# decoders before version 2 read, byte for byte as they were.
FIELDS_V2: tuple[Field, ...] = FIELDS + (Field("depthwise", "H", 0, 2**10 - 1),)
# Version 3 adds a width per hidden layer (uint16 each, ``depth`` of them, after the fixed fields): networks whose
# layers narrow towards the image (``tapered_widths``). ``net_width`` is then the fixed input's width, which the first
# conv reads. Headers whose layers all have ``net_width`` channels are written as version 1 or 2, as before.
# Version 4 (1.35.0) adds three fields to version 2's and changes what follows them (the module docstring): ``layout``
# bit 0 set means the layer widths follow, as in version 3; every normalisation scale is ``scale_code`` times
# ``scale_step`` (codes and steps as a version 1 to 3 file would hold them, so both decode alike). The encoders since
# 1.3.0 leave every scale at 1, so version 4 holds every file they make, 52 to 69 bytes smaller in session 64's
# measurements (RESULTS.md, "Format version 4's compact layout").
FIELDS_V4: tuple[Field, ...] = FIELDS_V2 + (Field("layout", "B", 0, 1), Field("scale_code", "H", 1, 32767),
                                            Field("scale_step", "f", 0.0, math.inf))
LAYOUT_WIDTHS = 1
_FIELDS_OF = {1: FIELDS, 2: FIELDS_V2, 3: FIELDS_V2, 4: FIELDS_V4}
_STRUCTS = {version: struct.Struct("<" + "".join(f.fmt for f in fields)) for version, fields in _FIELDS_OF.items()}
MAX_LAYER_WIDTH = 4096
DEPTHWISE_TAPS = 9  # a 3x3 kernel, replicate padding


@dataclass(frozen=True)
class DdcHeader:
    """Everything needed to rebuild and fill the network. Indices are into the tables above."""

    height: int
    width: int
    channels: int
    net_width: int
    depth: int
    seed: int
    bits: int
    steps: tuple[float, ...]
    target_ratio: float
    upsample: int = 0
    norm: int = 0
    quant: int = 0
    depthwise: int = 0  # bit mask of the hidden layers with a depthwise kernel (version 2)
    widths: tuple[int, ...] = ()  # each hidden layer's width (version 3); () or all net_width: every layer net_width
    version: int = 0  # 0: the lowest version that can hold this header (``required_version``)

    def __post_init__(self) -> None:
        widths = tuple(self.widths)
        object.__setattr__(self, "widths", () if all(w == self.net_width for w in widths) else widths)
        if self.version == 0:
            object.__setattr__(self, "version", required_version(self.depthwise, self.widths))

    @property
    def layer_widths(self) -> list[int]:
        """Hidden layer i's width, for every layer."""
        return layer_widths(self.net_width, self.depth, self.widths)

    @property
    def max_width(self) -> int:
        """The widest layer (or fixed input): what a decode's activations scale with."""
        return max((self.net_width, *self.widths))

    @property
    def n_params(self) -> int:
        return param_count(self.net_width, self.depth, self.channels, self.depthwise, self.widths)

    @property
    def depthwise_layers(self) -> list[int]:
        return depthwise_layers(self.depthwise, self.depth)

    @property
    def ratio(self) -> float:
        """Achieved compression ratio H*W*C / N, as in the Deep Decoder paper."""
        return self.height * self.width * self.channels / self.n_params

    @property
    def upsample_mode(self) -> str:
        return UPSAMPLE_MODES[self.upsample]

    @property
    def norm_mode(self) -> str:
        return NORM_MODES[self.norm]

    @property
    def quant_scheme(self) -> str:
        return QUANT_SCHEMES[self.quant]


def required_version(depthwise: int, widths: tuple[int, ...] = ()) -> int:
    """Version 1 holds every network without depthwise kernels; version 2 is needed for them, version 3 for layers
    of their own widths."""
    return 3 if widths else 2 if depthwise else 1


def layer_widths(net_width: int, depth: int, widths: tuple[int, ...] = ()) -> list[int]:
    """Hidden layer i's width: ``widths[i]``, or ``net_width`` for every layer where ``widths`` is empty."""
    return list(widths) if widths else [net_width] * depth


def tapered_widths(net_width: int, depth: int, taper: int) -> tuple[int, ...]:
    """Widths falling linearly from ``net_width`` at the first hidden layer to ``taper`` percent of it at the last
    (at least 2 each); () for 100, every layer ``net_width``. The encoder's choice (``FitSchedule.taper``): a file
    stores the widths themselves, so a decoder never computes this."""
    if taper == 100 or depth < 2:
        return ()
    return tuple(max(2, (net_width * (100 * (depth - 1) - (100 - taper) * i) + 50 * (depth - 1)) // (100 * (depth - 1)))
                 for i in range(depth))


def depthwise_layers(mask: int, depth: int) -> list[int]:
    """The hidden layers whose bit is set in ``mask`` (bits at or above ``depth`` are ignored here;
    a header with one is refused)."""
    return [i for i in range(depth) if mask >> i & 1]


def all_layers(depth: int) -> int:
    """The mask with a depthwise kernel on every hidden layer."""
    return (1 << depth) - 1


def param_count(net_width: int, depth: int, channels: int, depthwise: int = 0, widths: tuple[int, ...] = ()) -> int:
    """N = depth*w^2 (1x1 convs) + 2*depth*w (norm scale and shift) + channels*w (output conv)
    + 9*w per layer with a depthwise kernel; with ``widths``, the sum of ``weight_shapes``' sizes."""
    if widths:
        return sum(math.prod(shape) for _, shape in weight_shapes(net_width, depth, channels, depthwise, widths))
    kernels = len(depthwise_layers(depthwise, depth))
    return depth * net_width**2 + 2 * depth * net_width + channels * net_width + kernels * DEPTHWISE_TAPS * net_width


def n_steps(depth: int, channels: int) -> int:
    """One step per norm scale and shift tensor, one per output-conv row."""
    return 2 * depth + channels


def weight_shapes(net_width: int, depth: int, channels: int, depthwise: int = 0,
                  widths: tuple[int, ...] = ()) -> list[tuple[str, tuple[int, ...]]]:
    """The fixed serialisation order of the weights: per layer conv (out x in), scale, shift, and where
    ``depthwise`` has the layer's bit its kernels (one row of 9 taps per channel, row-major 3x3); then
    the output conv. Layer i has ``layer_widths``' width; the first conv reads the fixed input's ``net_width``."""
    shapes: list[tuple[str, tuple[int, ...]]] = []
    fan_in = net_width
    for i, out in enumerate(layer_widths(net_width, depth, widths)):
        shapes += [
            (f"conv{i}", (out, fan_in)),
            (f"scale{i}", (out,)),
            (f"shift{i}", (out,)),
        ]
        if depthwise >> i & 1:
            shapes.append((f"dw{i}", (out, DEPTHWISE_TAPS)))
        fan_in = out
    shapes.append(("out", (channels, fan_in)))
    return shapes


def _check_ranges(values: dict[str, float]) -> None:
    for f in _FIELDS_OF[values["version"]]:
        if f.name not in values:  # version 4's fixed-scale fields, checked once the codes give them
            continue
        v = values[f.name]
        if isinstance(v, float) and not math.isfinite(v) or not (f.lo <= v <= f.hi):
            raise DdcFormatError(f"header field {f.name}={v!r} out of range [{f.lo}, {f.hi}]")
        if f.fmt != "f" and int(v) != v:
            raise DdcFormatError(f"header field {f.name}={v!r} is not an integer")
    for name in ("target_ratio", "scale_step"):
        if values.get(name, 1) <= 0:
            raise DdcFormatError(f"header field {name}={values[name]!r} must be positive")
    if values.get("depthwise", 0) >> values["depth"]:
        raise DdcFormatError(
            f"header field depthwise={values['depthwise']:#x} names a layer beyond depth {values['depth']}")


def _check_widths(widths: tuple[int, ...], depth: int) -> None:
    if len(widths) != depth:
        raise DdcFormatError(f"expected {depth} layer widths, got {len(widths)}")
    for w in widths:
        if not (isinstance(w, int) and 1 <= w <= MAX_LAYER_WIDTH):
            raise DdcFormatError(f"layer width {w!r} out of range [1, {MAX_LAYER_WIDTH}]")


def _check_sizes(h: DdcHeader) -> None:
    pixels = h.height * h.width
    if pixels > MAX_PIXELS:
        raise DdcFormatError(
            f"image size {h.width}x{h.height} exceeds the limit of {MAX_PIXELS} pixels")
    if pixels * h.max_width > MAX_ACTIVATION_VALUES:
        raise DdcFormatError(
            f"network width {h.max_width} at {h.width}x{h.height} would need too much memory to decode")
    if len(h.steps) != n_steps(h.depth, h.channels):
        raise DdcFormatError(
            f"expected {n_steps(h.depth, h.channels)} quantisation steps, got {len(h.steps)}")
    for s in h.steps:
        if not (math.isfinite(s) and s > 0):
            raise DdcFormatError(f"quantisation step {s!r} must be positive and finite")


def _zigzag(q: np.ndarray) -> np.ndarray:
    """Signed -> unsigned so small magnitudes become small codes (0,-1,1,-2,... -> 0,1,2,3,...)."""
    q = q.astype(np.int64)
    return np.where(q >= 0, 2 * q, -2 * q - 1)


def _unzigzag(u: np.ndarray) -> np.ndarray:
    """The inverse of ``_zigzag`` (codes have at most 16 bits), as int32 bit operations: int64 and
    np.where took most of a 0.8 ms parse, in a 10 ms GPU decode (RESULTS.md, "On an H100")."""
    u = u.astype(np.int32)
    return (u >> 1) ^ -(u & 1)


def qmax(bits: int) -> int:
    """Largest magnitude of a code of ``bits`` bits (codes are symmetric signed integers)."""
    return 2 ** (bits - 1) - 1


def bits_for(levels: int) -> int:
    """The fewest bits whose codes reach ``levels`` (``qmax(bits_for(m)) >= m``)."""
    return int(levels).bit_length() + 1


def _code_dtype(bits: int) -> np.dtype:
    return np.dtype("<u1") if bits <= 8 else np.dtype("<u2")


def _segments(header: DdcHeader) -> list[tuple[str, int, int]]:
    """Each weight tensor's name and its [start, stop) in the flat codes, in ``weight_shapes`` order."""
    out, pos = [], 0
    for name, shape in weight_shapes(header.net_width, header.depth, header.channels, header.depthwise, header.widths):
        out.append((name, pos, pos + math.prod(shape)))
        pos += math.prod(shape)
    return out


def is_bfloat16(value: float) -> bool:
    """A float32 whose low 16 bits are zero, which version 4 stores exactly in two bytes."""
    return float(np.float32(value)) == value and not np.float32(value).view(np.uint32) & 0xFFFF


def _without_scales(header: DdcHeader, q: np.ndarray) -> np.ndarray:
    """The codes version 4's payload holds: every tensor's but the normalisation scales'."""
    return np.concatenate([q[start:stop] for name, start, stop in _segments(header) if not name.startswith("scale")])


def _compact_steps(header: DdcHeader) -> list[float]:
    """The steps version 4 stores: the shifts', then the output conv rows' (the scales' is one fixed field)."""
    return list(header.steps[1 : 2 * header.depth : 2]) + list(header.steps[2 * header.depth :])


def _fixed_scale(header: DdcHeader, q: np.ndarray) -> tuple[int, float] | None:
    """The code and step every normalisation scale shares, or None where they differ."""
    found = set()
    for name, start, stop in _segments(header):
        if name.startswith("scale"):
            codes = np.unique(q[start:stop])
            if codes.size != 1:
                return None
            found.add((int(codes[0]), header.steps[2 * int(name[5:])]))
    return found.pop() if len(found) == 1 else None


def fits_compact(header: DdcHeader, q: np.ndarray) -> bool:
    """Whether format version 4 holds this network: every normalisation scale the same positive code with the same
    step (the encoders' fixed scales), every other step a bfloat16 value (``quant`` rounds them so)."""
    fixed = _fixed_scale(header, np.asarray(q))
    return fixed is not None and fixed[0] >= 1 and all(is_bfloat16(s) for s in _compact_steps(header))


def header_struct_size(version: int = 1) -> int:
    """Bytes of the fixed fields after the magic."""
    return _STRUCTS[version].size


def compress_codes(q: np.ndarray, bits: int) -> bytes:
    """The payload: zigzag codes as uint8 (bits <= 8) or little-endian uint16, in one zstd frame."""
    codes = _zigzag(np.asarray(q)).astype(_code_dtype(bits))
    return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(codes.tobytes())


def encode_file(header: DdcHeader, q: np.ndarray) -> bytes:
    """Serialise a header and the flat integer weights (in ``weight_shapes`` order) to .ddc bytes."""
    if header.version not in _STRUCTS:
        raise DdcFormatError(f"cannot write format version {header.version} (this ddcodec writes 1 to 4)")
    if header.version < required_version(header.depthwise, header.widths):
        need = "layers of their own widths" if header.widths else "depthwise kernels"
        raise DdcFormatError(f"{need} need format version {required_version(header.depthwise, header.widths)}")
    compact = header.version == COMPACT_VERSION
    fields = _FIELDS_OF[header.version]
    values = {f.name: getattr(header, f.name) for f in fields if f.name not in ("layout", "scale_code", "scale_step")}
    _check_ranges(values)
    widths = tuple(header.layer_widths) if header.version == 3 or compact and header.widths else ()
    if widths:
        _check_widths(widths, header.depth)
    _check_sizes(header)
    q = np.asarray(q)
    if q.ndim != 1 or q.size != header.n_params:
        raise DdcFormatError(f"expected {header.n_params} weights, got {q.size}")
    largest = qmax(header.bits)
    if q.size and (q.min() < -largest or q.max() > largest):
        raise DdcFormatError(f"weights exceed the {header.bits}-bit range [-{largest}, {largest}]")
    if compact:
        if not fits_compact(header, q):
            raise DdcFormatError("format version 4 holds networks whose normalisation scales share one code and one "
                                 "step and whose other steps are bfloat16 values")
        code, step = _fixed_scale(header, q)
        values.update(layout=LAYOUT_WIDTHS if header.widths else 0, scale_code=code, scale_step=step)
        _check_ranges(values)
    fixed = MAGIC + _STRUCTS[header.version].pack(*(values[f.name] for f in fields)) + struct.pack(
        f"<{len(widths)}H", *widths)
    if compact:
        halves = (np.asarray(_compact_steps(header), np.float32).view(np.uint32) >> 16).astype("<u2")
        body = fixed + halves.tobytes() + compress_codes(_without_scales(header, q), header.bits)
    else:
        payload = compress_codes(q, header.bits)
        body = fixed + struct.pack(f"<{len(header.steps)}f", *header.steps) + struct.pack("<I", len(payload)) + payload
    return body + struct.pack("<I", zlib.crc32(body))


def _parse(data: bytes) -> tuple[DdcHeader, bytes, int]:
    """The header, the zstd payload, and version 4's fixed scale code (0 in versions 1 to 3, whose payload holds the
    scales' codes)."""
    data = bytes(data)
    if len(data) == 0:
        raise DdcFormatError("empty file")
    if len(data) < len(MAGIC) and MAGIC.startswith(data):
        raise DdcFormatError("truncated file (shorter than the magic bytes)")
    if not data.startswith(MAGIC):
        raise DdcFormatError("not a .ddc file (wrong magic bytes)")
    pos = len(MAGIC)
    if len(data) < pos + 1:
        raise DdcFormatError("truncated file (no version byte)")
    version = data[pos]
    if version > FORMAT_VERSION:
        raise DdcFormatError(
            f"format version {version} is newer than this ddcodec supports ({FORMAT_VERSION}); upgrade ddcodec")
    if version < 1:
        raise DdcFormatError(f"invalid format version {version}")
    fixed = _STRUCTS[version]
    if len(data) < pos + fixed.size + 4:
        raise DdcFormatError("truncated file (header incomplete)")
    stored_crc = struct.unpack_from("<I", data, len(data) - 4)[0]
    if zlib.crc32(data[:-4]) != stored_crc:
        raise DdcFormatError("CRC mismatch: the file is corrupted or truncated")
    values = dict(zip((f.name for f in _FIELDS_OF[version]), fixed.unpack_from(data, pos)))
    pos += fixed.size
    _check_ranges(values)
    layout, scale_code, scale_step = (values.pop(name, 0) for name in ("layout", "scale_code", "scale_step"))
    if scale_code > qmax(values["bits"]):
        raise DdcFormatError(f"header field scale_code={scale_code} exceeds the {values['bits']}-bit range")
    if version == 3 or layout & LAYOUT_WIDTHS:
        if len(data) < pos + 2 * values["depth"] + 4:
            raise DdcFormatError("truncated file (layer widths incomplete)")
        values["widths"] = struct.unpack_from(f"<{values['depth']}H", data, pos)
        pos += 2 * values["depth"]
        _check_widths(values["widths"], values["depth"])
    if version == COMPACT_VERSION:
        depth, count = values["depth"], values["depth"] + values["channels"]
        if len(data) < pos + 2 * count + 4:
            raise DdcFormatError("truncated file (quantisation steps incomplete)")
        halves = np.frombuffer(data, "<u2", count, pos)
        stored = (halves.astype(np.uint32) << 16).view(np.float32).tolist()
        steps = [step for i in range(depth) for step in (scale_step, stored[i])] + stored[depth:]
        pos += 2 * count
        payload_size = len(data) - 4 - pos
    else:
        count = n_steps(values["depth"], values["channels"])
        if len(data) < pos + 4 * count + 4 + 4:
            raise DdcFormatError("truncated file (quantisation steps incomplete)")
        steps = struct.unpack_from(f"<{count}f", data, pos)
        pos += 4 * count
        (payload_size,) = struct.unpack_from("<I", data, pos)
        pos += 4
        if pos + payload_size + 4 != len(data):
            raise DdcFormatError(
                f"payload size {payload_size} does not match the file length {len(data)}")
    header = DdcHeader(steps=tuple(steps), version=version, **{k: v for k, v in values.items() if k != "version"})
    _check_sizes(header)
    return header, data[pos : pos + payload_size], scale_code


# a .ddc file as its bytes, or as the path of a file to read (as encode takes a path or pixels)
DdcSource = Union[bytes, bytearray, memoryview, str, os.PathLike]


@contextmanager
def _ddc_bytes(source: DdcSource) -> Iterator[bytes]:
    """The file's bytes; for a path, read here, and format errors raised inside name the path."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield bytes(source)
        return
    if not isinstance(source, (str, os.PathLike)):
        raise DdcInputError(f"cannot decode a {type(source).__name__}: pass the .ddc file's bytes or its path")
    try:
        with open(source, "rb") as file:
            data = file.read()
    except OSError as exc:
        raise DdcInputError(os_error_message(exc)) from None
    try:
        yield data
    except DdcFormatError as exc:
        raise DdcFormatError(f"{os.fspath(source)}: {exc}") from None


def read_header(source: DdcSource) -> DdcHeader:
    """Validate magic, version, CRC and field ranges, and return the header without decoding weights."""
    with _ddc_bytes(source) as data:
        return _parse(data)[0]


def decode_file(source: DdcSource) -> tuple[DdcHeader, np.ndarray]:
    """Parse a .ddc file (bytes or path) into the header and the flat int32 weights in ``weight_shapes`` order."""
    with _ddc_bytes(source) as data:
        return _decode(data)


def _decode(data: bytes) -> tuple[DdcHeader, np.ndarray]:
    return _decode_parsed(*_parse(data))


def _decode_parsed(header: DdcHeader, payload: bytes, scale_code: int) -> tuple[DdcHeader, np.ndarray]:
    """``_parse``'s pieces to the header and the flat codes (the scales' filled in for version 4)."""
    compact = header.version == COMPACT_VERSION
    segments = _segments(header)
    scales = sum(stop - start for name, start, stop in segments if name.startswith("scale")) if compact else 0
    dtype = _code_dtype(header.bits)
    expected = (header.n_params - scales) * dtype.itemsize
    try:
        params = zstandard.get_frame_parameters(payload)
        if params.content_size not in (expected, zstandard.CONTENTSIZE_UNKNOWN):
            raise DdcFormatError(
                f"payload holds {params.content_size} bytes, the header implies {expected}")
        if compact:  # version 4: the frame states its size (bounding the output) and must end the payload
            if params.content_size != expected:
                raise DdcFormatError("the weight payload's zstd frame does not state its size")
            frame = zstandard.ZstdDecompressor().decompressobj()
            raw = frame.decompress(payload)
            if not frame.eof or frame.unused_data:
                raise DdcFormatError("the weight payload is not one whole zstd frame")
        else:
            raw = zstandard.ZstdDecompressor().decompress(payload, max_output_size=expected)
    except zstandard.ZstdError as exc:
        raise DdcFormatError(f"corrupt weight payload: {exc}") from None
    if len(raw) != expected:
        raise DdcFormatError(f"payload holds {len(raw)} bytes, the header implies {expected}")
    q = _unzigzag(np.frombuffer(raw, dtype=dtype))
    if q.size and np.abs(q).max() > qmax(header.bits):
        raise DdcFormatError(f"weights exceed the {header.bits}-bit range")
    if compact:  # the scales' codes, not stored
        parts, pos = [], 0
        for name, start, stop in segments:
            if name.startswith("scale"):
                parts.append(np.full(stop - start, scale_code, q.dtype))
            else:
                parts.append(q[pos : pos + stop - start])
                pos += stop - start
        q = np.concatenate(parts)
    return header, q


def header_dict(header: DdcHeader, file_size: int | None = None) -> dict:
    """A flat, JSON-ready description of a header (names, not indices) for ``ddcodec info``."""
    out = {f.name: getattr(header, f.name) for f in dataclass_fields(header)
           if f.name not in ("steps", "depthwise", "widths")}
    out.update(
        layer_widths=header.layer_widths,
        depthwise_layers=header.depthwise_layers,
        upsample=header.upsample_mode,
        norm=header.norm_mode,
        quant=header.quant_scheme,
        params=header.n_params,
        ratio=round(header.ratio, 3),
        target_ratio=round(header.target_ratio, 3),
    )
    if file_size is not None:
        out["bytes"] = file_size
        out["bpp"] = round(8 * file_size / (header.height * header.width), 5)
    return out


def payload_stats(data: bytes) -> dict:
    """How close zstd comes to the order-0 entropy of the quantised weights (bits per weight)."""
    parsed = _parse(data)
    header, q = _decode_parsed(*parsed)
    payload = parsed[1]
    if header.version == COMPACT_VERSION:  # its payload holds no scale codes
        q = _without_scales(header, q)
    _, counts = np.unique(q, return_counts=True)
    p = counts / counts.sum()
    entropy = float(-(p * np.log2(p)).sum())
    zstd_bits = 8 * len(payload) / q.size
    return {"weights": int(q.size), "bits": header.bits, "entropy_bits_per_weight": round(entropy, 4),
            "zstd_bits_per_weight": round(zstd_bits, 4), "zstd_gap_percent": round(100 * (zstd_bits / entropy - 1), 2)}
