"""ddcodec: an image codec built on the Deep Decoder.

    data, result = ddcodec.encode("photo.png", k=32)   # .ddc bytes + EncodeResult
    image = ddcodec.decode(data)                       # PIL image
    header = ddcodec.read_header(data)                 # cheap, no torch work
"""
from .codec import PRESETS, EncodeResult, decode, decode_pixels, encode, read_header
from .errors import DdcError, DdcFormatError, DdcInputError
from .format import DdcHeader

__version__ = "1.0.0"
__all__ = ["encode", "decode", "decode_pixels", "read_header", "EncodeResult", "DdcHeader",
           "DdcError", "DdcFormatError", "DdcInputError", "PRESETS", "__version__"]
