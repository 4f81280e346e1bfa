"""Speed benchmark: ``python -m ddcodec.bench [--device cpu|cuda] [--size 768x512] [-k 32]``.

Prints one table (and ``--json FILE``): fitting iterations/s and the implied seconds per
image for each preset (each phase's steps at the precision the preset fits them in: on a CPU with
native bfloat16 the large ones in bfloat16, timed too), decode time of a file of that size, peak
memory, and Pillow's decode time for JPEG, WebP and AVIF files of about the same size, for comparison.
Speed is measured here, never asserted in tests.
"""
from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import platform
import resource
import statistics
import time
from typing import NamedTuple, Optional

import numpy as np
import torch
from PIL import Image, features

from . import codec, fused, render, stepbench
from . import format as fmt
from .fit import bf16_layer_pays, bf16_supported, cuda_graphs_enabled, tune_allocator
from .model import DeepDecoder, coarse_size, layer_sizes
from .parallel import default_threads


# the steps a fit takes: full size, half size, quarter size (upsamplings skipped; FitSchedule.coarse_fraction and
# quarter_fraction)
COARSE_LEVELS = (0, 1, 2)
PHOTO = "../shared/data/kodak/kodim23.png"  # relative to the working directory: run from the repository root


def _photo(width: int, height: int) -> tuple[Image.Image, str]:
    """(image, where it came from): Kodak content when the shared data set is there, else a
    smooth synthetic image (the result says which, since fitting speed barely depends on it
    but the Pillow files' sizes do)."""
    try:
        return Image.open(PHOTO).convert("RGB").resize((width, height), Image.LANCZOS), PHOTO
    except OSError:
        yy, xx = np.mgrid[0:height, 0:width] / max(width, height)
        planes = [128 + 100 * np.sin(9 * xx * (c + 1) + 7 * yy) for c in range(3)]
        return Image.fromarray(np.clip(np.stack(planes, 2), 0, 255).astype(np.uint8)), "synthetic"


def time_iterations(height: int, width: int, net_width: int, device: torch.device, iters: int,
                    batch: int = 1, coarse: int = 0, depthwise: int = 0, bf16: bool = False) -> float:
    """Seconds per fitting iteration (forward, backward, Adam step) of ``batch`` images fitted
    together, after warm-up steps, run as the fit runs it: on CUDA fused, and replayed as a CUDA
    graph unless ``DDCODEC_CUDA_GRAPHS=0``; ``coarse``: a coarse-to-fine fit's half-size step (2: quarter-size);
    ``depthwise``: the network's kernels (a format.weight_shapes mask); ``bf16``: under CPU bfloat16 autocast."""
    if device.type == "cuda" and cuda_graphs_enabled():
        return stepbench.graphed_ms(height, width, net_width, iters, batch=batch, coarse=coarse,
                                    depthwise=depthwise) / 1000
    return stepbench.eager_ms(height, width, net_width, device, iters, batch=batch, coarse=coarse,
                              fused=device.type == "cuda", depthwise=depthwise, bf16=bf16) / 1000


class StepSeconds(NamedTuple):
    """Seconds per fitting step in float32 and in bfloat16, the latter timed only where a preset asking for
    it gets it (a CPU with native bfloat16, a layer large enough: fit.bf16_layer_pays); None: those steps
    stay float32. The presets' implied times then match what their fits run since 1.7.0."""
    float32: float
    bf16: Optional[float] = None

    def taken(self, bf16: bool) -> float:
        """The seconds of a step of a phase whose schedule option says ``bf16``."""
        return self.bf16 if bf16 and self.bf16 is not None else self.float32


def time_steps(height: int, width: int, net_width: int, device: torch.device, iters: int, batch: int = 1,
               coarse: int = 0, depthwise: int = 0) -> StepSeconds:
    """``time_iterations`` in float32 and, where a fit would take it, in bfloat16."""
    args = (height, width, net_width, device, iters, batch, coarse, depthwise)
    sizes = layer_sizes(height, width, codec.DEFAULT_DEPTH)
    takes_bf16 = (device.type == "cpu" and bf16_supported()
                  and bf16_layer_pays(batch * net_width, coarse_size(sizes, coarse) if coarse else (height, width)))
    return StepSeconds(time_iterations(*args), time_iterations(*args, bf16=True) if takes_bf16 else None)


def _fit_seconds(schedule: codec.FitSchedule, full: StepSeconds, coarse: StepSeconds,
                 quarter: Optional[StepSeconds] = None) -> float:
    """A preset's fitting time implied by the timed full-size, half-size and quarter-size steps (``quarter``: needed
    only where the schedule has such steps), each phase at the precision its schedule fits in. Progressive rounding's
    steps are counted as full-size steps, an upper bound: the layers already rounded take no gradient, so the later
    stages' backward passes stop early, and since 1.19.1 their forward passes start from the rounded layers' stored
    output (model.FrozenPrefix). A schedule that tries penalties (``weight_l1_tries``) fits once per strength."""
    n_coarse = round(schedule.iters * schedule.coarse_fraction)
    n_quarter = round(schedule.iters * schedule.quarter_fraction)
    if n_quarter and quarter is None:
        raise ValueError("a schedule with quarter-size steps needs their timing")
    after_main = schedule.qat_iters + codec.DEFAULT_DEPTH * schedule.progressive_for(codec.DEFAULT_BITS)[0]
    once = (full.taken(schedule.bf16) * (schedule.iters - n_coarse - n_quarter) + coarse.taken(schedule.bf16) * n_coarse
            + (quarter.taken(schedule.bf16) * n_quarter if n_quarter else 0.0)
            + full.taken(schedule.qat_bf16) * after_main)
    return once * (1 + len(schedule.weight_l1_tries))


def _timing_worker(barrier, results, threads: int, args: tuple, depthwise: int) -> None:
    torch.set_num_threads(threads)
    tune_allocator()
    timed = []
    for coarse in COARSE_LEVELS:
        barrier.wait()  # every worker times the same kind of step at the same time
        timed.append(time_steps(*args, coarse=coarse, depthwise=depthwise))
    results.put(timed)


def time_iterations_in_workers(jobs: int, height: int, width: int, net_width: int, iters: int,
                               depthwise: int = 0) -> tuple[StepSeconds, ...]:
    """Seconds per full-size, half-size and quarter-size fitting step while ``jobs`` worker processes
    (``ddcodec encode --jobs``, the CPU's cores shared among them) each fit an image at once;
    the slowest worker's figures."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(jobs), ctx.Queue()
    threads = default_threads(jobs)
    workers = [ctx.Process(target=_timing_worker,
                           args=(barrier, results, threads, (height, width, net_width, torch.device("cpu"), iters),
                                 depthwise))
               for _ in range(jobs)]
    for w in workers:
        w.start()
    timed = [results.get() for _ in workers]
    for w in workers:
        w.join()
    return tuple(StepSeconds(max(t[i].float32 for t in timed),
                             None if timed[0][i].bf16 is None else max(t[i].bf16 for t in timed))
                 for i in range(len(COARSE_LEVELS)))


def time_call(func, repeats: int) -> float:
    """Median seconds of ``func()`` over ``repeats`` runs, after one warm-up."""
    func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _pillow_file_near(image: Image.Image, fmt_name: str, target_bytes: int) -> bytes:
    """The encoding whose size is closest to ``target_bytes`` over a quality sweep."""
    best = b""
    for quality in range(5, 96, 5):
        buf = io.BytesIO()
        image.save(buf, format=fmt_name, quality=quality)
        if not best or abs(len(buf.getvalue()) - target_bytes) < abs(len(best) - target_bytes):
            best = buf.getvalue()
    return best


def synthetic_file(width: int, height: int, k: float, seed: int = 0, depthwise: str = "auto") -> bytes:
    """A valid .ddc of the given size holding the quantised initial network: no fitting, so a
    4096x4096 decode can be benchmarked on a CPU. Decode work does not depend on the weights."""
    net_width, bits, mask = codec.plan_network(height, width, 3, k, depthwise=depthwise)  # as ``encode -k``
    model = DeepDecoder(height, width, 3, net_width, codec.DEFAULT_DEPTH, seed, depthwise=mask)
    return codec.pack(dict(model.weights), height, width, 3, net_width, bits, seed, k, depthwise=mask)


def run_decode_only(device_name: str, width: int, height: int, k: float, repeats: int,
                    depthwise: str = "auto") -> dict:
    """Decode time and peak memory of a file of this size (run in a fresh process: peak RSS is
    the whole process's)."""
    device = codec.resolve_device(device_name)
    data = synthetic_file(width, height, k, depthwise=depthwise)
    header = fmt.read_header(data)
    # The first decode in a process is what a one-off `ddcodec decode` pays: the memory it
    # touches is fresh and faults in page by page. Later ones reuse the allocator's blocks.
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start = time.perf_counter()
    codec.decode_pixels(data, device_name)
    first = time.perf_counter() - start
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    seconds = time_call(lambda: codec.decode_pixels(data, device_name), repeats) if repeats > 1 else first
    out = {"device": _device_name(device), "torch_threads": torch.get_num_threads(),
           "size": f"{width}x{height}", "k": k, "net_width": header.net_width,
           "depthwise": bool(header.depthwise), "file_bytes": len(data),
           "decode_pad_limit": render.PAD_LIMIT, "decode_fused_kernels": fused.available() and device.type == "cpu",
           "decode_first_ms": 1000 * first,
           "decode_first_page_faults": faults, "decode_ms": 1000 * seconds}
    if device.type == "cuda":
        out["decode_peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"


def run(device_name: str, width: int, height: int, k: float, iters: int, repeats: int, batch: int,
        jobs: int = 1, pillow: bool = True, encodes: bool = False, depthwise: str = "auto") -> dict:
    device = codec.resolve_device(device_name)
    if device.type == "cpu":
        tune_allocator()
    net_width, _, mask = codec.plan_network(height, width, 3, k, depthwise=depthwise)  # as ``encode -k``
    full = time_steps(height, width, net_width, device, iters, depthwise=mask)
    # the fit's peak, before the decode's own peak is measured from a reset
    fit_peak_gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else None
    image, photo = _photo(width, height)
    data, _ = codec.encode(image, k=k, iters=10, device=device_name, depthwise=depthwise)  # a real file, quality irrelevant
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    decode_s = time_call(lambda: codec.decode_pixels(data, device_name), repeats)
    decode_peak_gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else None
    out = {
        "device": _device_name(device),
        "torch_threads": torch.get_num_threads(),
        "size": f"{width}x{height}", "photo": photo, "k": k, "net_width": net_width, "depthwise": bool(mask),
        "file_bytes": len(data),
        "bpp": 8 * len(data) / (width * height),
        "fit_iters_per_s": 1 / full.float32,
        "decode_ms": 1000 * decode_s,
    }
    coarse = time_steps(height, width, net_width, device, iters, coarse=1, depthwise=mask)
    quarter = time_steps(height, width, net_width, device, iters, coarse=2, depthwise=mask)
    out["fit_coarse_iters_per_s"] = 1 / coarse.float32
    out["fit_quarter_iters_per_s"] = 1 / quarter.float32
    for name, steps in (("fit_bf16_iters_per_s", full), ("fit_bf16_coarse_iters_per_s", coarse),
                        ("fit_bf16_quarter_iters_per_s", quarter)):
        if steps.bf16 is not None:  # the steps a preset's bf16 takes: its implied times below use them
            out[name] = 1 / steps.bf16
    for preset, schedule in codec.PRESETS.items():
        out[f"encode_s_{preset}"] = _fit_seconds(schedule, full, coarse, quarter)
    out["single_images_per_s_default"] = 1 / out["encode_s_default"]
    if batch > 1:
        batch_s = _fit_seconds(codec.PRESETS["default"],
                               *(time_steps(height, width, net_width, device, iters, batch, coarse=level, depthwise=mask)
                                 for level in COARSE_LEVELS))
        out[f"batch{batch}_images_per_s_default"] = batch / batch_s
    if jobs > 1 and device.type == "cpu":
        jobs_s = _fit_seconds(codec.PRESETS["default"],
                              *time_iterations_in_workers(jobs, height, width, net_width, iters, mask))
        out[f"jobs{jobs}_images_per_s_default"] = jobs / jobs_s
    if device.type == "cuda":
        out["decode_peak_gpu_mb"] = decode_peak_gpu_mb  # read before the batched fits below
        out["fit_peak_gpu_mb"] = fit_peak_gpu_mb
    if encodes:  # whole encodes, the fit loop's own overheads and CUDA graphs included
        for preset in codec.PRESETS:
            _, result = codec.encode(image, k=k, preset=preset, device=device_name, depthwise=depthwise)
            out[f"encoded_s_{preset}"], out[f"encoded_psnr_{preset}"] = result.encode_seconds, result.psnr
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for name, plugin in (("JPEG", "jpg"), ("WEBP", "webp"), ("AVIF", "avif")):
        if not pillow or not features.check(plugin):
            continue
        blob = _pillow_file_near(image, name, len(data))
        out[f"pillow_{name.lower()}_bytes"] = len(blob)
        out[f"pillow_{name.lower()}_decode_ms"] = 1000 * time_call(
            lambda: Image.open(io.BytesIO(blob)).load(), repeats)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ddcodec.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--size", default="768x512", help="WxH of the benchmark image")
    parser.add_argument("-k", type=float, default=32.0)
    parser.add_argument("--iters", type=int, default=10, help="timed fitting iterations")
    parser.add_argument("--repeats", type=int, default=5, help="timed decodes")
    parser.add_argument("--batch", type=int, default=4, help="images fitted together for the images/s figure (1: skip)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="CPU worker processes fitting at once for the images/s figure of `encode --jobs` (1: skip)")
    parser.add_argument("--decode-only", action="store_true",
                        help="only decode a file of --size built from the initial network (peak memory of a large decode)")
    parser.add_argument("--pad-limit", type=float, default=render.PAD_LIMIT,
                        help="largest share of zero channels the CPU decoder may add for whole vectors (0: none)")
    parser.add_argument("--no-pillow", action="store_true",
                        help="skip Pillow's JPEG/WebP/AVIF decode times (their quality sweep is slow at 4096x4096)")
    parser.add_argument("--encodes", action="store_true",
                        help="also time one whole encode per preset (minutes each on a CPU at 768x512)")
    parser.add_argument("--depthwise", choices=codec.DEPTHWISE_MODES, default="auto",
                        help="the network's depthwise kernels, as encode's --depthwise")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    render.PAD_LIMIT = args.pad_limit
    width, height = (int(v) for v in args.size.lower().split("x"))
    if args.decode_only:
        result = run_decode_only(args.device, width, height, args.k, args.repeats, args.depthwise)
    else:
        result = run(args.device, width, height, args.k, args.iters, args.repeats, args.batch, args.jobs,
                     pillow=not args.no_pillow, encodes=args.encodes, depthwise=args.depthwise)
    for key, value in result.items():
        print(f"{key:>24}  {value:.3f}" if isinstance(value, float) else f"{key:>24}  {value}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=1)


if __name__ == "__main__":
    main()
