"""Writing output files safely: never a partial file, never over an existing one unless forced."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import DdcInputError


def check_output(output: Path, inputs: list[Path], force: bool) -> None:
    """Refuse before any work is done: output == an input, or an existing output without force."""
    for source in inputs:
        if output.resolve() == source.resolve():
            raise DdcInputError(f"{output}: output path is the same as the input")
    if output.exists() and not force:
        raise DdcInputError(f"{output}: already exists (use --force to overwrite)")
    if output.is_dir():
        raise DdcInputError(f"{output}: is a directory")
    parent = output.parent if str(output.parent) else Path(".")
    if not parent.is_dir():
        raise DdcInputError(f"{parent}: output directory does not exist")


def write_atomic(output: Path, data: bytes, force: bool) -> None:
    """Write to a temporary file beside ``output`` and rename it into place."""
    parent = output.parent if str(output.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        if force:
            os.replace(tmp, output)
        else:
            try:
                os.link(tmp, output)  # fails if output appeared meanwhile: never overwrite
            except FileExistsError:
                raise DdcInputError(f"{output}: already exists (use --force to overwrite)") from None
            except OSError:  # no hard links on this filesystem
                if output.exists():
                    raise DdcInputError(f"{output}: already exists (use --force to overwrite)") from None
                os.replace(tmp, output)
            else:
                os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
