"""ddcodec: an image codec built on the Deep Decoder.

    data, result = ddcodec.encode("photo.png", k=32)   # .ddc bytes + EncodeResult
    image = ddcodec.decode(data)                       # PIL image
    header = ddcodec.read_header(data)                 # cheap: no torch import

The torch-based parts load on first use, so header inspection stays light.
"""
from .errors import DdcError, DdcFormatError, DdcInputError
from .format import DdcHeader, read_header

__version__ = "1.1.0"
_LAZY = {"encode", "encode_batch", "decode", "decode_pixels", "EncodeResult", "PRESETS"}
__all__ = ["encode", "encode_batch", "encode_in_processes", "decode", "decode_pixels", "read_header", "EncodeResult", "DdcHeader",
           "DdcError", "DdcFormatError", "DdcInputError", "PRESETS", "__version__"]


def __getattr__(name: str):
    if name == "encode_in_processes":
        from .parallel import encode_in_processes
        return encode_in_processes
    if name in _LAZY:
        from . import codec
        return getattr(codec, name)
    raise AttributeError(f"module 'ddcodec' has no attribute {name!r}")
