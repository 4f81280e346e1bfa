"""``ddcodec rd``: sweep codecs over a set of images and write the comparison.

A thin click layer: it parses options, runs the sweep (resumable through the cache
in the output folder) and hands the records to the report, plot and sheet modules.
Every error a user can cause becomes a one-line ``click.ClickException``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sized
from pathlib import Path
from typing import Any

import click

from ..presets import DEPTHWISE_MODES
from . import report
from .codecs import DEFAULT_CODECS, DEFAULT_DDC_RATIOS, make_codecs
from .metrics import MSSSIM_EXTRA_NOTE, msssim_applies, msssim_available
from .reference import ReferenceCurve, load_reference
from .sweep import CACHE_NAME, BenchImage, Cache, cached_records, find_images, load_image, run_sweep

BENCH_EXTRA = "pip install ddcodec[bench]"


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _positive_numbers(value: str, option: str = "--ddc-ratios") -> list[float]:
    try:
        numbers = [float(v) for v in _csv(value)]
    except ValueError:
        raise click.ClickException(f"{option} must be numbers separated by commas, got {value!r}") from None
    if not numbers or any(r <= 0 for r in numbers):
        raise click.ClickException(f"{option} must be positive numbers, got {value!r}")
    return numbers


def _size(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        w, h = (int(v) for v in value.lower().split("x"))
    except ValueError:
        raise click.ClickException(f"--resize must look like 384x256, got {value!r}") from None
    if w < 1 or h < 1:
        raise click.ClickException(f"--resize must be positive, got {value!r}")
    return w, h


def _progress(items: Iterable[Any]) -> Iterable[Any]:
    """A progress bar on a terminal, silence otherwise (logs, CI, pipes)."""
    if not sys.stderr.isatty():
        yield from items
        return

    def show(job: Any) -> str:
        return "" if job is None else f"{job[1].name} {job[1].setting_label(job[2])} {job[0].name}"

    items = items if isinstance(items, Sized) else list(items)
    with click.progressbar(items, length=len(items), label="rd sweep", file=sys.stderr, item_show_func=show) as bar:
        yield from bar


def _note(message: str) -> None:
    click.echo(message, err=True)


def _load(paths: tuple[Path, ...], max_images: int | None, size: Any, scale: float | None) -> list[BenchImage]:
    files = find_images(list(paths))
    if max_images is not None:
        files = files[:max_images]
    if not files:
        raise click.ClickException("no images found (looked for .png, .jpg, .bmp, .ppm, .tif, .webp)")
    images = []
    for f in files:
        try:
            images.append(load_image(f, size, scale))
        except OSError as exc:
            raise click.ClickException(f"cannot read image {f}: {exc}") from None
    return images


def _sheet_image(images: list[BenchImage], name: str | None) -> BenchImage:
    if name is None:
        return images[0]
    for im in images:
        if name in (im.name, Path(im.name).stem):
            return im
    raise click.ClickException(f"--sheet-image {name!r} is not among the benchmarked images")


def _msssim_notes(images: list[BenchImage]) -> None:
    if not msssim_available():
        _note(MSSSIM_EXTRA_NOTE)
        return
    small = [im.name for im in images if not msssim_applies(*im.image.size)]
    if small:
        _note(f"MS-SSIM skipped for {len(small)} image(s) with a side of 160 px or less "
              f"({', '.join(small[:3])}{', ...' if len(small) > 3 else ''}); the JSON leaves out "
              "'ms-ssim' and the CSV cell is empty")


@click.command("rd")
@click.argument("images", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--codecs", default=",".join(DEFAULT_CODECS), show_default=True,
              help="Comma-separated codecs to compare.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (JSON, CSV, table, plot, sheet, and the resume cache).")
@click.option("--anchor", default="jpeg2000", show_default=True, help="Codec the BD table compares against.")
@click.option("--reference", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Published curves to overlay (e.g. anchors/kodak_published.json).")
@click.option("--ddc-ratios", default=",".join(f"{r:g}" for r in DEFAULT_DDC_RATIOS), show_default=True,
              help="ddcodec compression ratios k to sweep.")
@click.option("--ddc-bpp", default=None, help="Sweep ddcodec over these target bpp (e.g. 0.125,0.25,0.5) "
              "instead of --ddc-ratios: rate control picks each file's width and precision.")
@click.option("--ddc-preset", default="default", show_default=True, help="ddcodec encoder preset.")
@click.option("--ddc-bits", type=int, default=None, help="ddcodec weight bits (default: the preset's).")
@click.option("--ddc-iters", type=int, default=None, help="ddcodec fitting iterations (default: the preset's).")
@click.option("--ddc-depth", type=int, default=None, help="ddcodec network depth (default: the encoder's choice per image and rate).")
@click.option("--ddc-depthwise", type=click.Choice(DEPTHWISE_MODES), default="auto", show_default=True,
              help="ddcodec's depthwise kernels (encode's --depthwise).")
@click.option("--device", default="auto", show_default=True, help="Device for ddcodec: auto, cpu, cuda.")
@click.option("--sheet-image", default=None, help="Image for the comparison sheet (file name or stem; default: the first).")
@click.option("--sheet-bpp", type=click.FloatRange(min=0, min_open=True), default=0.25, show_default=True,
              help="Target bpp of the comparison sheet.")
@click.option("--max-images", type=click.IntRange(min=1), default=None, help="Use only the first N images.")
@click.option("--resize", default=None, metavar="WxH",
              help="Resize every image to WxH first (fast CPU runs; published curves are for full size).")
@click.option("--scale", type=click.FloatRange(min=0, max=1, min_open=True), default=None,
              help="Downscale every image by this factor first (published curves are for full size).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Measure this many points at once in CPU worker processes, the cores shared among them "
              "(their encode and decode times then include the contention).")
@click.option("--report-only", is_flag=True,
              help="Measure nothing: write the outputs from the cache in --out alone (e.g. caches of several runs "
              "joined); fails if a point is missing. Sheet panels whose file is not in --out/streams are grey.")
def rd(
    images: tuple[Path, ...], codecs: str, out: Path, anchor: str, reference: Path | None,
    ddc_ratios: str, ddc_bpp: str | None, ddc_preset: str, ddc_bits: int | None, ddc_iters: int | None,
    ddc_depth: int | None, ddc_depthwise: str, device: str,
    sheet_image: str | None, sheet_bpp: float, max_images: int | None, resize: str | None, scale: float | None,
    jobs: int, report_only: bool,
) -> None:
    """Rate-distortion comparison of ddcodec and classical codecs on IMAGES (files or folders).

    Writes one CompressAI-style JSON per codec, per_image.csv, bd_table.md (BD-rate and
    BD-PSNR against --anchor, PSNR at fixed bpp), rd.png/rd.svg and sheet.png into --out.
    Interrupted runs resume from the cache in --out.
    """
    names = _csv(codecs)
    if jobs > 1 and "ddcodec" in names and device != "cpu":
        import torch

        if device != "auto" or torch.cuda.is_available():
            raise click.ClickException("--jobs runs ddcodec in CPU worker processes; on a GPU leave it out "
                                       "(or pass --device cpu)")
    if resize and scale:
        raise click.ClickException("use --resize or --scale, not both")
    ddc = {"ratios": _positive_numbers(ddc_ratios), "preset": ddc_preset, "bits": ddc_bits, "iters": ddc_iters,
           "device": device, "depth": ddc_depth, "depthwise": ddc_depthwise,
           "bpp_targets": _positive_numbers(ddc_bpp, "--ddc-bpp") if ddc_bpp else None}
    try:
        chosen, skipped = make_codecs(names, ddc)
        refs: list[ReferenceCurve] = load_reference(reference) if reference else []
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if anchor not in names:
        raise click.ClickException(f"--anchor {anchor!r} is not among --codecs ({', '.join(names)})")
    for line in skipped:
        _note(line)
    if not chosen:
        raise click.ClickException("none of the requested codecs can run here")

    bench = _load(images, max_images, _size(resize), scale)
    if refs and (resize or scale):
        _note("note: the --reference curves were measured at full size; this run is resized")
    keep = _sheet_image(bench, sheet_image)
    if report_only:
        try:
            records = cached_records(bench, chosen, Cache(out / CACHE_NAME))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        _msssim_notes(bench)
    else:
        _msssim_notes(bench)
        out.mkdir(parents=True, exist_ok=True)
        try:
            records = run_sweep(bench, chosen, Cache(out / CACHE_NAME), keep, out / "streams", _progress, jobs)
        except Exception as exc:  # a codec failing mid-sweep: finished points stay cached
            raise click.ClickException(f"sweep stopped ({type(exc).__name__}: {exc}); rerun to resume") from None

    curves = report.summarise(records, chosen)
    sizes = sorted({im.image.size for im in bench}, reverse=True)
    size_text = ", ".join(f"{w}x{h}" for w, h in sizes[:2]) + (", ..." if len(sizes) > 2 else "")
    title = f"{len(bench)} image(s), {size_text}"
    written = report.write_json(curves, out)
    written.append(report.write_csv(records, out / "per_image.csv"))
    anchor_curve = next((c for c in curves if c.name == anchor), None)
    table = out / "bd_table.md"
    table.write_text(report.markdown(curves, anchor_curve, len(bench), title))
    written.append(table)
    for codec in chosen:
        if not codec.is_classical() and (text := report.per_image_markdown(records, codec.name)):
            path = out / f"{codec.name}_per_image.md"
            path.write_text(text)
            written.append(path)

    from . import sheet

    written.append(sheet.draw_sheet(
        sheet.tiles(keep, chosen, records, out / "streams", sheet_bpp), out / "sheet.png",
        f"{keep.name}: centre crop, each codec at its point nearest {sheet_bpp:g} bpp (bpp and PSNR of the whole image)",
    ))
    try:
        from .plot import plot_rd

        note = ("published: numbers reported by others on the full 24-image Kodak set at full size; "
                "ours: measured here on the images above")
        written += plot_rd(curves, out, title, refs, note)
    except ImportError:
        _note(f"no RD plot: matplotlib is not installed ({BENCH_EXTRA})")
    click.echo(f"wrote {len(written)} files to {out}")
