"""Typed exceptions of the library: the CLI turns each into a one-line message."""


class DdcError(Exception):
    """Base class of every error ddcodec raises on purpose."""


class DdcFormatError(DdcError):
    """The bytes are not a valid .ddc file (magic, version, CRC, field ranges, payload)."""


class DdcInputError(DdcError):
    """The input image or the requested settings cannot be encoded."""


def os_error_message(exc: OSError) -> str:
    """An OS error on a file as one line: 'path: reason'."""
    return f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")
