"""ddcodec: an image codec built on the Deep Decoder.

    data, result = ddcodec.encode("photo.png", k=32)   # .ddc bytes + EncodeResult
    image = ddcodec.decode(data)                       # PIL image
    header = ddcodec.read_header(data)                 # cheap: no torch import
    PIL.Image.open("photo.ddc")                        # Pillow opens and saves .ddc once ddcodec is imported

The torch-based parts load on first use, so header inspection stays light.
"""
from .errors import DdcError, DdcFormatError, DdcInputError
from .format import DdcHeader, read_header
from .pillow_plugin import register as _register_pillow_plugin

_register_pillow_plugin()

__version__ = "1.38.2"
_LAZY = {name: "codec" for name in ("encode", "encode_batch", "decode", "decode_pixels", "EncodeResult", "PRESETS")}
_LAZY["encode_in_processes"] = "parallel"
__all__ = [*_LAZY, "read_header", "DdcHeader", "DdcError", "DdcFormatError", "DdcInputError", "__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'ddcodec' has no attribute {name!r}")
