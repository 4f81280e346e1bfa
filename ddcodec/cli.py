"""The ``ddcodec`` command: a thin click layer over ``ddcodec.codec``.

Every expected failure becomes one line on stderr and a non-zero exit; outputs are
written atomically and never over an existing file unless ``--force``. As in other command-line
codecs, ``-`` as the input reads standard input and ``-o -`` writes standard output.
"""
from __future__ import annotations

import functools
import io
import json
import math
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

import click
from PIL import Image

from . import __version__, format as fmt, presets
from .errors import DdcError, DdcFormatError, DdcInputError, os_error_message
from .imageio import image_from_bytes, images_in, require_file
from .outputs import check_output, write_atomic
from .pillow_plugin import FORMAT as PILLOW_FORMAT

if TYPE_CHECKING:
    from .codec import EncodeResult

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
STDIO = Path("-")  # as an input: standard input; as -o: standard output
STDIN_NEEDS_OUTPUT = "reading standard input needs -o (a file, or - for standard output)"

RATIO_HELP = (
    "Compression ratio k = (H*W*C) / (network parameters), as in the Deep Decoder paper. "
    "The file then holds about 3*bits/k bits per pixel for RGB (21/k at the default 7 bits) "
    "plus a ~90-byte header. Larger k = smaller file, lower quality.")


class ByteSize(click.ParamType):
    """A file size: whole bytes, or with a unit as cwebp and du write them (20000, 20k, 20kB, 20KiB, 1.5M)."""

    name = "size"
    UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": 1024**2}

    def convert(self, value, param, ctx) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip()
        number = text.rstrip("bBiIkKmM")
        unit = self.UNITS.get(text[len(number):].lower())
        try:
            size = float(number) * unit if unit else None
        except ValueError:
            size = None
        if size is None or not (math.isfinite(size) and size >= 1):
            self.fail(f"{value!r} is not a file size (bytes, or with a unit: 20k, 20kB, 20KiB, 1.5M)", param, ctx)
        return round(size)


def _fail(message: str, code: int = EXIT_ERROR) -> None:
    click.echo(f"ddcodec: error: {message}", err=True)
    sys.exit(code)


def _friendly_errors(func: Callable) -> Callable:
    """Turn library errors, OS errors on files and Ctrl-C into one line and an exit code."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DdcError as exc:
            _fail(str(exc))
        except BrokenPipeError:
            # the reader went away (`ddcodec info a.ddc | head -1`): stop quietly, as other command-line tools do,
            # and keep Python's exit-time flush from reporting the closed pipe
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_ERROR)
        except OSError as exc:
            _fail(os_error_message(exc))
        except KeyboardInterrupt:
            _fail("interrupted; no output written", EXIT_INTERRUPTED)
        except RuntimeError as exc:  # torch.OutOfMemoryError is one (torch is not imported here)
            if type(exc).__name__ != "OutOfMemoryError":
                raise
            _fail(f"out of memory ({str(exc).splitlines()[0][:120]}): use a larger -k, --batch 1 or --device cpu; "
                  "no output written")
    return wrapper


def _one_line_warnings(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"ddcodec: warning: {message}", err=True)


def _read_bytes(path: Path) -> bytes:
    """A file's bytes, or standard input's for ``-``."""
    if path == STDIO:
        data = sys.stdin.buffer.read()
        if not data:
            raise DdcInputError("-: standard input is empty")
        return data
    require_file(path)
    return path.read_bytes()


def _read_ddc(path: Path) -> bytes:
    """The bytes of a .ddc file whose header checks out (magic, version, CRC), or one line naming the file."""
    data = _read_bytes(path)
    try:
        fmt.read_header(data)
    except DdcFormatError as exc:
        raise DdcFormatError(f"{path}: {exc}") from None
    return data


def _check_stdout(output: Path) -> None:
    """``-o -`` is refused on a terminal, where binary data would only garble it."""
    if output == STDIO and sys.stdout.isatty():
        raise DdcInputError("-o -: standard output is a terminal; redirect or pipe it, or give a file name")


def _write(output: Path, data: bytes, force: bool) -> None:
    """Atomically to a file, or to standard output for ``-``."""
    if output == STDIO:
        stream = sys.stdout.buffer
        stream.write(data)
        stream.flush()
    else:
        write_atomic(output, data, force)


class _ProgressBar:
    """Iteration, PSNR and ETA on a terminal; nothing at all when stderr is not one."""

    def __init__(self, enabled: bool, label: str = "fitting") -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.label = label
        self.bar = None
        self.psnr = 0.0
        self.done = 0

    def __call__(self, done: int, total: int, psnr: float) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr,
                                         show_eta=True, show_pos=True,
                                         item_show_func=lambda _: f"{self.psnr:.2f} dB")
            self.bar.__enter__()
        self.psnr = psnr
        self.bar.update(done - self.done, current_item=done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="ddcodec")  # the running code's, not install metadata
def main() -> None:
    """ddcodec: image compression with a fitted Deep Decoder network."""
    warnings.showwarning = _one_line_warnings


def _ddc_files_in(folder: Path) -> list[Path]:
    """The .ddc files of a folder (not recursive), sorted by name."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() == ".ddc" and p.is_file())


def _expand_inputs(inputs: tuple[Path, ...], files_in: Callable[[Path], list[Path]] = images_in,
                   kind: str = "images") -> list[Path]:
    """Files as given; folders contribute their files of one kind (``files_in``: images by extension), sorted."""
    if STDIO in inputs and len(inputs) > 1:
        raise DdcInputError("- (standard input) must be the only input")
    files: list[Path] = []
    for path in inputs:
        if path.is_dir():
            found = files_in(path)
            if not found:
                raise DdcInputError(f"{path}: folder holds no {kind}")
            files += found
        else:
            files.append(path)
    return files


def _plan_outputs(files: list[Path], output: Optional[Path], several: bool, suffix: str = ".ddc") -> list[Path]:
    """One output per input: -o is a file for one input, a folder for several (each input's name with ``suffix``)."""
    if not several:
        if output is None and files[0] == STDIO:
            raise DdcInputError(STDIN_NEEDS_OUTPUT)
        return [output or files[0].with_suffix(suffix)]
    if output is not None and not output.is_dir():
        raise DdcInputError(f"{output}: with several inputs, -o must be an existing folder")
    outputs = [(output / f.with_suffix(suffix).name) if output else f.with_suffix(suffix) for f in files]
    if len(set(outputs)) != len(outputs):
        raise DdcInputError("two inputs would write the same output file (same name, different extension?)")
    return outputs


def _summary(output: Path, result: EncodeResult) -> str:
    return (f"{output}: {result.bytes} bytes, {result.bpp:.4f} bpp, PSNR {result.psnr:.2f} dB, "
            f"width {result.width}{' with depthwise kernels' if result.depthwise else ''}, depth {result.depth} "
            f"(ratio {result.ratio:.1f}), "
            f"{result.bits} bits, "
            + (f"codes up to {result.levels} of {fmt.qmax(result.bits)} to stay near the target, "
               if result.trimmed else "")
            + (f"fitted again {result.refits} width{'s' if result.refits > 1 else ''} narrower to stay within "
               f"{presets.RATE_TOLERANCE:.0%} of the target, " if result.refits else "")
            + (f"weight penalty {result.weight_l1:g} kept of {result.penalties} tried, "
               if result.penalties > 1 else "")
            + f"{result.encode_seconds:.1f} s on {result.device}")


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-k", "--ratio", "k", type=float, help=RATIO_HELP + "  [default: 32]")
@click.option("--bpp", type=float, help="Target bits per pixel instead of -k: picks the width and "
              "(unless --bits is given) the precision, the best measured one (7 or 6 bits, else 8, else 5) with a "
              "file up to 5% under or 1.5% over that size. A file that comes out over anyway is rounded more "
              "coarsely, or failing that fitted again narrower, to stay within 3%.")
@click.option("--psnr", type=float, help="Target quality in dB instead of -k: the smallest file reaching it "
              "(a search costing about log2(width) + 1 encodes).")
@click.option("--size", "target_bytes", type=ByteSize(),
              help="Target file size instead of -k, in bytes or with a unit (20000, 20k = 20kB = 20,000 bytes, "
              "20KiB = 20,480): the --bpp that size makes at each image's size, so a folder's files all come out "
              "near it.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Output file [default: INPUT with .ddc]; a folder when there are several inputs; - for "
              "standard output.")
@click.option("--device", default="auto", show_default=True, help="auto (GPU when present), cpu or cuda.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the fixed network input (stored in the file).")
@click.option("--iters", type=int, help="Fitting iterations, overriding the preset (fine-tuning adds 20%; the default preset's "
              "progressive rounding scales its 50 steps per layer with them).")
@click.option("--tries", type=click.IntRange(min=1), default=1, show_default=True,
              help="Fit seeds SEED, SEED+1, ... through the reduced-size stages and finish the one that fitted best "
              "there (each extra seed adds those stages: about a fifth of a default encode).")
@click.option("--bits", type=int, help=f"Bits per weight, 2 to 16  [default: {presets.DEFAULT_BITS}].")
@click.option("--preset", type=click.Choice(list(presets.PRESETS)), default="default", show_default=True,
              help="Fitting effort: fast, default or best.")
@click.option("--depth", type=click.IntRange(presets.MIN_DEPTH, presets.MAX_DEPTH),
              help="Hidden layers of the network (stored in the file)  [default: "
              f"{presets.LOW_RATE_DEPTH} for images at least {presets.LOW_RATE_DEPTH_MIN_SIDE} pixels on the shorter "
              f"side at {presets.LOW_RATE_DEPTH_MAX_BPP:g} bpp or less (-k: 3 * bits / k for RGB), else "
              f"{presets.DEFAULT_DEPTH}].")
@click.option("--depthwise", type=click.Choice(presets.DEPTHWISE_MODES), default="auto", show_default=True,
              help="A learnt 3x3 kernel per channel in every layer (format version 2 and later); auto: for "
              f"networks at least {presets.DEPTHWISE_MIN_WIDTH} wide.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary line per file instead of text.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@click.option("-f", "--force", is_flag=True, help="Overwrite existing output files.")
@click.option("--batch", type=click.IntRange(min=1),
              help="Fit up to this many same-size images together  [default: 8 on a GPU, 1 on a CPU].")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="With several inputs on a CPU, encode this many at a time in worker processes, "
              "the cores shared among them: 1.6x to 1.8x the images/s on 2 cores at 384x256 and "
              "below, slower at 768x512 (README, 'Performance').")
@_friendly_errors
def encode(inputs: tuple[Path, ...], k: Optional[float], bpp: Optional[float], psnr: Optional[float],
           target_bytes: Optional[int], output: Optional[Path], device: str, seed: int, iters: Optional[int],
           tries: int, bits: Optional[int],
           preset: str, depth: Optional[int], depthwise: str, as_json: bool, quiet: bool, force: bool, batch: Optional[int],
           jobs: int) -> None:
    """Encode images (PNG, JPEG, ... anything Pillow reads; or folders of them) to .ddc files.
    INPUTS - reads one image from standard input.

    With several inputs, each is encoded in turn (on a GPU, same-size images are fitted
    in batches; on a CPU, --jobs encodes several at once); a failing one is reported in one
    line, the others still run, and the exit status is then 1.
    """
    if sum(v is not None for v in (k, bpp, psnr, target_bytes)) > 1:
        raise DdcInputError("give only one of -k, --bpp, --psnr and --size")
    k = 32.0 if k is None else k
    files = _expand_inputs(inputs)
    several = len(files) > 1 or any(p.is_dir() for p in inputs)
    outputs = _plan_outputs(files, output, several)
    for source, target in zip(files, outputs):
        if not several and source != STDIO:
            require_file(source)
        if target == STDIO:
            _check_stdout(target)
        else:
            check_output(target, [source], force)
    options = dict(k=k, bpp=bpp, target_bytes=target_bytes, bits=bits, preset=preset, seed=seed, iters=iters,
                   device=device, depth=depth, depthwise=depthwise)
    if psnr is not None or tries > 1:
        options.update(psnr=psnr, tries=tries)
        batch = 1  # each file is its own search or set of tries
    report = _Reporter(as_json, quiet)
    pending = list(zip(files, outputs))
    failures = 0
    if len(files) > 1:
        from . import codec  # torch loads here, not for `info`

        on_gpu = codec.resolve_device(device).type == "cuda"
        if jobs > 1:
            if batch is not None and batch > 1:
                raise DdcInputError("give --jobs (CPU worker processes) or --batch (GPU batches), not both")
            if on_gpu:
                raise DdcInputError("--jobs is for encoding on a CPU; on a GPU same-size images are batched "
                                    "(--batch), or pass --device cpu")
            failures, pending = _encode_in_processes(pending, jobs, options, report, force), []
        else:
            batch = (8 if on_gpu else 1) if batch is None else batch
            if batch > 1:
                pending = _encode_batched(pending, batch, options, report, force)
    failures += _encode_each(pending, options, report, force, several)
    if failures:
        _fail(f"{failures} of {len(files)} files failed")


class _Reporter:
    """Prints one summary (text or JSON) per written file."""

    def __init__(self, as_json: bool, quiet: bool) -> None:
        self.as_json, self.quiet = as_json, quiet

    def bar(self, label: str) -> "_ProgressBar":
        return _ProgressBar(enabled=not self.quiet and not self.as_json, label=label)

    def __call__(self, source: Path, target: Path, result: EncodeResult) -> None:
        to_stderr = target == STDIO  # standard output holds the file
        if self.as_json:
            click.echo(json.dumps({"input": str(source), "output": str(target), **result.as_dict()}), err=to_stderr)
        elif not self.quiet:
            click.echo(_summary(target, result), err=to_stderr)


def _encode_batched(pending: list[tuple[Path, Path]], batch: int, options: dict, report: _Reporter,
                    force: bool) -> list[tuple[Path, Path]]:
    """Fit all readable inputs in batches; returns what is left for one-by-one encoding (the
    unreadable ones, or everything if a batch fails, so each error is reported on its own)."""
    from . import codec
    from .imageio import load_pixels

    readable, left = [], []
    for source, target in pending:
        try:
            require_file(source)
            readable.append((source, target, load_pixels(source)))
        except DdcError:
            left.append((source, target))
    if not readable:
        return left
    bar = report.bar(f"fitting {len(readable)} images, {batch} at a time")
    try:
        encoded = codec.encode_batch([pixels for _, _, pixels in readable], **options, batch_size=batch,
                                     progress=bar)
    except DdcError:
        return pending
    finally:
        bar.close()
    for (source, target, _), (data, result) in zip(readable, encoded):
        write_atomic(target, data, force)
        report(source, target, result)
    return left


def _encode_each(pending: list[tuple[Path, Path]], options: dict, report: _Reporter, force: bool,
                 several: bool) -> int:
    """Encode one file at a time; returns how many failed (raises when there is only one input)."""
    failures = 0
    for source, target in pending:
        bar = report.bar(f"fitting {source.name}")
        try:
            if source == STDIO:
                image = image_from_bytes(_read_bytes(source), "-")
            else:
                require_file(source)
                image = source
            from . import codec  # torch loads here, not for `info`

            data, result = codec.encode(image, **options, progress=bar)
            _write(target, data, force)
        except DdcError as exc:
            if not several:
                raise type(exc)(_named(source, exc)) from None
            failures += 1
            _report_failure(source, exc)
            continue
        finally:
            bar.close()
        report(source, target, result)
    return failures


def _named(source: Path, exc: DdcError) -> str:
    """The error's message naming the file (library messages about a path already start with it)."""
    message = str(exc)
    return message if message.startswith(f"{source}:") else f"{source}: {message}"


def _report_failure(source: Path, exc: DdcError) -> None:
    click.echo(f"ddcodec: error: {_named(source, exc)}", err=True)


def _encode_in_processes(pending: list[tuple[Path, Path]], jobs: int, options: dict, report: _Reporter,
                         force: bool) -> int:
    """Encode in ``jobs`` worker processes, writing each file as it finishes; returns how many failed."""
    from .parallel import encode_in_processes

    bar = report.bar(f"encoding {len(pending)} images, {jobs} at a time")
    failures = 0
    try:
        outcomes = encode_in_processes([source for source, _ in pending], jobs, **options)
        for done, (index, outcome) in enumerate(outcomes, start=1):
            source, target = pending[index]
            if isinstance(outcome, DdcError):
                failures += 1
                _report_failure(source, outcome)
            else:
                data, result = outcome
                write_atomic(target, data, force)
                report(source, target, result)
            bar(done, len(pending), 0.0 if isinstance(outcome, DdcError) else outcome[1].psnr)
    finally:
        bar.close()
    return failures


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Output image; the format follows its extension [default: INPUT with .png]; - writes PNG "
              "to standard output; a folder (of PNG files) when there are several inputs.")
@click.option("--device", default="auto", show_default=True, help="auto (GPU when present), cpu or cuda.")
@click.option("-f", "--force", is_flag=True, help="Overwrite existing output files.")
@_friendly_errors
def decode(inputs: tuple[Path, ...], output: Optional[Path], device: str, force: bool) -> None:
    """Decode .ddc files (or folders of them) to images (PNG by default). INPUTS - reads standard input.

    With several inputs, each is decoded in turn to a PNG file beside it or in the -o folder; a failing
    one is reported in one line, the others still run, and the exit status is then 1.
    """
    files = _expand_inputs(inputs, _ddc_files_in, ".ddc files")
    if len(files) == 1 and not any(p.is_dir() for p in inputs):
        _decode_one(files[0], output, device, force)
        return
    outputs = dict(zip(files, _plan_outputs(files, output, True, ".png")))
    for source, target in outputs.items():
        check_output(target, [source], force)
    _each_file(files, lambda source: _decode_one(source, outputs[source], device, force))


def _each_file(files: list[Path], action: Callable[[Path], None]) -> None:
    """``action`` on every file in turn: one that fails is reported in one line and the others still run; then
    the exit status is 1 if any failed."""
    failures = 0
    for source in files:
        try:
            action(source)
        except OSError as exc:
            failures += 1
            _report_failure(source, DdcInputError(os_error_message(exc)))
        except DdcError as exc:
            failures += 1
            _report_failure(source, exc)
    if failures:
        _fail(f"{failures} of {len(files)} files failed")


def _decode_one(input: Path, output: Optional[Path], device: str, force: bool) -> None:
    """Decode one file; the header is checked before the output, so a wrong input is named as such."""
    data = _read_ddc(input)
    if output is None and input == STDIO:
        raise DdcInputError(STDIN_NEEDS_OUTPUT)
    output = output or input.with_suffix(".png")
    if output == STDIO:
        _check_stdout(output)
        image_format = "PNG"
    else:
        check_output(output, [input], force)
        ext = output.suffix.lower()
        if ext not in Image.registered_extensions():
            raise DdcInputError(f"{output}: unknown image extension {ext or '(none)'!r}")
        image_format = Image.registered_extensions()[ext]
        if image_format == PILLOW_FORMAT:  # our own Pillow plugin would encode again
            raise DdcInputError(f"{output}: decode writes an image; .ddc files come from ddcodec encode")
    from . import codec

    try:
        image = codec.decode(data, device=device)
    except DdcFormatError as exc:
        raise DdcFormatError(f"{input}: {exc}") from None
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=image_format)
    except (OSError, ValueError, KeyError) as exc:  # JPEG has no alpha, for one
        raise DdcInputError(f"{output}: {image_format} cannot hold this {image.mode} image ({exc}); "
                            "PNG, WebP and TIFF can") from None
    _write(output, buffer.getvalue(), force)


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the header as one JSON line (per file).")
@click.option("--stats", is_flag=True, help="Also unpack the weights: their entropy and zstd's bits per weight.")
@_friendly_errors
def info(inputs: tuple[Path, ...], as_json: bool, stats: bool) -> None:
    """Show .ddc files' headers without decoding them. INPUTS - reads standard input.

    With several inputs (or folders), each header is headed by its file's name (in JSON, a "file" field);
    a file that cannot be read is reported in one line, the others still shown, and the exit status is then 1.
    """
    files = _expand_inputs(inputs, _ddc_files_in, ".ddc files")
    if len(files) == 1 and not any(p.is_dir() for p in inputs):
        _show_info(files[0], as_json, stats, None)
        return
    _each_file(files, lambda source: _show_info(source, as_json, stats, source))


def _show_info(input: Path, as_json: bool, stats: bool, name: Optional[Path]) -> None:
    """One file's header (and ``stats``), headed by ``name`` where several are shown."""
    data = _read_ddc(input)
    fields = fmt.header_dict(fmt.read_header(data), len(data))
    order = ["version", "width", "height", "channels", "bytes", "bpp", "ratio", "target_ratio",
             "net_width", "depth", "layer_widths", "depthwise_layers", "params", "bits", "seed", "upsample", "norm", "quant"]
    if stats:
        extra = fmt.payload_stats(data)
        fields.update(extra)
        order += [key for key in extra if key not in order]
    if as_json:
        click.echo(json.dumps(fields if name is None else {"file": str(name), **fields}))
        return
    if name is not None:
        click.echo(f"{name}:")
    for key in order:
        click.echo(f"{key:>16}: {fields[key]}")


def _attach_rd() -> None:
    from .rd.cli import rd
    main.add_command(rd)


_attach_rd()

if __name__ == "__main__":
    main()
