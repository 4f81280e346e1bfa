"""A Pillow plugin, so that .ddc files open and save like any other image format.

    import ddcodec                      # registers the plugin
    from PIL import Image
    Image.open("photo.ddc").show()      # decodes on first access to the pixels (torch loads then)
    Image.open("photo.png").save("photo.ddc", k=32)   # encodes: the options of ddcodec.encode

``Image.open`` reads and checks the whole header (magic, version, CRC, field ranges) without torch, so
a corrupt file fails there with a ``DdcFormatError``; the network is rendered only when the pixels
are needed. Written against Pillow's documented plugin API (``ImageFile.ImageFile``, ``PyDecoder``
with ``_pulls_fd``, ``register_open`` / ``register_save``).
"""
from __future__ import annotations

from typing import IO

from PIL import Image, ImageFile

from . import format as fmt
from .imageio import MODE_OF_CHANNELS

FORMAT = "DDC"
# Image.save(..., **params) keys passed on to ddcodec.encode; Pillow's convention is to ignore the others
SAVE_OPTIONS = ("k", "bpp", "psnr", "target_bytes", "bits", "preset", "seed", "iters", "device", "tries", "depth",
                "depthwise")


def _accept(prefix: bytes) -> bool:
    return prefix[:len(fmt.MAGIC)] == fmt.MAGIC


class DdcImageFile(ImageFile.ImageFile):
    format = FORMAT
    format_description = "ddcodec (fitted Deep Decoder)"

    def _open(self) -> None:
        header = fmt.read_header(self.fp.read())
        self._size = (header.width, header.height)
        self._mode = MODE_OF_CHANNELS[header.channels]
        self.info["ddc"] = fmt.header_dict(header)
        tile = (FORMAT, (0, 0) + self.size, 0, None)
        self.tile = [ImageFile._Tile(*tile) if hasattr(ImageFile, "_Tile") else tile]  # Pillow >= 11 names them


class DdcDecoder(ImageFile.PyDecoder):
    """Renders the whole image in one call from the file's bytes (on the GPU where there is one)."""

    _pulls_fd = True

    def decode(self, buffer: bytes) -> tuple[int, int]:
        from .codec import decode_pixels  # torch loads here

        assert self.fd is not None
        pixels = decode_pixels(self.fd.read())
        self.set_as_raw(pixels.tobytes(), self.mode)
        return -1, 0


def _save(im: Image.Image, fp: IO[bytes], filename: str | bytes) -> None:
    from .codec import encode

    options = {key: im.encoderinfo[key] for key in SAVE_OPTIONS if key in im.encoderinfo}
    data, _ = encode(im, **options)
    fp.write(data)


def register() -> None:
    """Make Pillow open, identify and save .ddc files (done on ``import ddcodec``)."""
    Image.register_open(FORMAT, DdcImageFile, _accept)
    Image.register_save(FORMAT, _save)
    Image.register_extension(FORMAT, ".ddc")
    Image.register_decoder(FORMAT, DdcDecoder)
    Image.register_mime(FORMAT, "image/x-ddc")
