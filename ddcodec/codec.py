"""The public library API: ``encode`` an image to .ddc bytes, ``decode`` them back.

Raises ``DdcInputError`` / ``DdcFormatError`` (never exits). The PSNR ``encode``
reports is measured by decoding the bytes it is about to return, on the same device,
so it is exactly what ``decode`` will render there.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import asdict, dataclass
from typing import Callable, Optional, Sequence

import numpy as np
import torch

from . import format as fmt
from .errors import DdcInputError
from .fit import Progress, fit, fit_best_seed, seed_pick_step, total_steps, tune_allocator
from .imageio import ImageLike, load_pixels, psnr, to_pil
from .model import BatchedDeepDecoder, DeepDecoder, flat_embedding, tf32_matmuls
from .quant import dequantize, qmax, quantize
from .presets import (BPP_BITS_CHOICES, BPP_BITS_TIERS, DEFAULT_BITS, DEFAULT_DEPTH,
                      DEPTHWISE_MIN_WIDTH, DEPTHWISE_MODES, MAX_DEPTH, MIN_DEPTH, MIN_NET_WIDTH, PRESETS, QAT_FRACTION,
                      RATE_TOLERANCE, FitSchedule, choose_depth)
from .ratecontrol import plan_for_bpp, target_levels
from .render import BandRenderer, render_whole, renders_whole

@dataclass(frozen=True)
class EncodeResult:
    """What an encode produced; ``psnr`` is of the decoded file against the input pixels."""

    bytes: int
    bpp: float
    psnr: float
    float_psnr: float  # the float network before quantisation: psnr - float_psnr is what quantising cost
    width: int  # network width
    ratio: float  # achieved H*W*C / parameters
    target_ratio: float
    bits: int
    seed: int
    depth: int  # hidden layers
    image_width: int
    image_height: int
    channels: int
    iterations: int
    device: str
    fit_seconds: float
    encode_seconds: float
    batch: int = 1  # images fitted together (encode_batch); fit_seconds is this image's share
    depthwise: bool = False  # the network has depthwise kernels (format version 2)
    tries: int = 1  # seeds tried (seed, seed+1, ...: fit.fit_best_seed); this is the one kept; encode_seconds: all
    # --bpp or --size: fits one width narrower after a file came out over the target (encode_seconds covers all)
    refits: int = 0
    # the largest code the weights were rounded to: format.qmax(bits), or fewer where --bpp trimmed or filled
    levels: int = 0
    # the weight_l1 penalty the kept file was fitted with, and how many strengths were tried (FitSchedule.weight_l1_tries;
    # encode_seconds covers them all)
    weight_l1: float = 0.0
    penalties: int = 1

    @property
    def trimmed(self) -> bool:
        """Rate control rounded to fewer levels than the file's precision has: a --bpp or --size file trimmed to
        its target, or one filled up to it from the plan's precision (``ratecontrol.target_levels``)."""
        return 0 < self.levels < fmt.qmax(self.bits)

    def as_dict(self) -> dict:
        return asdict(self)


def resolve_device(device: str) -> torch.device:
    """'auto' picks CUDA when present; asking for CUDA without it is an error, not a silent fallback."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu":
        return torch.device("cpu")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DdcInputError("CUDA was requested but no CUDA device is available (use --device cpu)")
        return torch.device(device)
    raise DdcInputError(f"unknown device {device!r}: use auto, cpu or cuda")


def max_ratio(height: int, width: int, channels: int, depth: int = DEFAULT_DEPTH, depthwise: int = 0,
              taper: int = 100) -> float:
    """The highest compression ratio k an image of this size allows: that of the narrowest network."""
    count = fmt.param_count(MIN_NET_WIDTH, depth, channels, depthwise, fmt.tapered_widths(MIN_NET_WIDTH, depth, taper))
    return height * width * channels / count


def choose_net_width(height: int, width: int, channels: int, k: float,
                     depth: int = DEFAULT_DEPTH, depthwise: int = 0, taper: int = 100) -> int:
    """The largest network width whose parameter count (with the ``depthwise`` kernels' mask, and layers narrowing to
    ``taper`` percent: ``format.tapered_widths``) is at most H*W*C / k."""
    if not (isinstance(k, (int, float)) and math.isfinite(k) and k > 0):
        raise DdcInputError(f"compression ratio k must be a positive number, got {k!r}")
    budget = height * width * channels / k

    def count(net_width: int) -> int:
        return fmt.param_count(net_width, depth, channels, depthwise, fmt.tapered_widths(net_width, depth, taper))

    if count(MIN_NET_WIDTH) > budget:
        max_k = max_ratio(height, width, channels, depth, depthwise, taper)
        raise DdcInputError(
            f"image {width}x{height} is too small for ratio k={k:g}: use k <= {math.floor(max_k * 100) / 100:g}")
    net_width = MIN_NET_WIDTH
    while net_width < 4096 and count(net_width + 1) <= budget:
        net_width += 1
    return net_width


def _schedule(preset: str | FitSchedule, iters: Optional[int]) -> FitSchedule:
    if isinstance(preset, FitSchedule):
        base = preset
    elif preset in PRESETS:
        base = PRESETS[preset]
    else:
        raise DdcInputError(f"unknown preset {preset!r}: choose one of {', '.join(PRESETS)}")
    if iters is None:
        return base
    if not isinstance(iters, int) or iters < 0:
        raise DdcInputError(f"iters must be a non-negative integer, got {iters!r}")
    def scaled(steps: Optional[int]) -> Optional[int]:
        """Progressive rounding's steps per layer shrink with the main fit (at least 1 where the preset has some)."""
        return max(1, round(steps * iters / max(1, base.iters))) if steps else steps

    return dataclasses.replace(base, iters=iters, qat_iters=max(1, math.ceil(iters * QAT_FRACTION)),
                               progressive_steps=scaled(base.progressive_steps),
                               low_bits_progressive_steps=scaled(base.low_bits_progressive_steps))


def _check_options(bits: int, seed: int, tries: int = 1, depth: Optional[int] = None,
                   depthwise: str = "auto") -> None:
    if depthwise not in DEPTHWISE_MODES:
        raise DdcInputError(f"depthwise must be one of {', '.join(DEPTHWISE_MODES)}, got {depthwise!r}")
    if depth is not None and (not isinstance(depth, int) or not MIN_DEPTH <= depth <= MAX_DEPTH):
        raise DdcInputError(f"depth must be an integer from {MIN_DEPTH} to {MAX_DEPTH}, got {depth!r}")
    if not isinstance(bits, int) or not 2 <= bits <= 16:
        raise DdcInputError(f"bits must be an integer from 2 to 16, got {bits!r}")
    if not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise DdcInputError(f"seed must be an integer from 0 to {2**32 - 1}, got {seed!r}")
    if not isinstance(tries, int) or tries < 1:
        raise DdcInputError(f"tries must be a positive integer, got {tries!r}")
    if seed + tries > 2**32:
        raise DdcInputError(f"seeds {seed} to {seed + tries - 1} do not all fit in 32 bits")


def _to_tensor(pixels: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(pixels.copy()).permute(2, 0, 1)[None].float().div(255).to(device)


def _render(header: fmt.DdcHeader, q: np.ndarray, device: torch.device, band_rows: Optional[int] = None,
            cache_bytes: Optional[int] = None) -> np.ndarray:
    """Decode on ``device`` in full float32: in bands (render.py) so any image size fits in memory,
    or, on a GPU where the image fits, in one pass (``render_whole``), unless bands are asked for.

    TF32 matrix products would let GPU pixels drift from CPU ones, so they are switched off
    for the decode; so decoded, an H100 and the CPU agreed within one level (RESULTS.md, "On an H100").
    """
    weights = dequantize(q, header.steps, header.bits, header.net_width, header.depth, header.channels,
                         header.depthwise, header.widths)
    if header.widths:
        weights = flat_embedding(weights, header.max_width)
    recipe = (header.height, header.width, header.channels, header.max_width, header.depth, header.seed,
              header.upsample_mode, weights, device)
    if band_rows is None and cache_bytes is None and renders_whole(header.height, header.width, header.max_width,
                                                                  device):
        with tf32_matmuls(False), torch.no_grad():
            return render_whole(*recipe)
    renderer = BandRenderer(*recipe, band_rows, cache_bytes)
    if device.type == "cpu":
        # Keeping freed blocks made a 768x512 decode 1.3x faster. For images decoded in bands
        # it is more: glibc maps every band temporary over 32 MB afresh, so a 4096x4096 decode
        # faulted in 80 million pages; with the blocks kept, 0.13 million, 347 s instead of
        # 486 s and a lower peak (RESULTS.md, "Performance"). It once fragmented the heap, before
        # render.py preallocated its statistics; it no longer does.
        tune_allocator()
    with tf32_matmuls(False), torch.no_grad():
        return renderer.render()


@dataclass(frozen=True)
class _Plan:
    """What one image will be encoded with, decided before any fitting."""

    pixels: np.ndarray
    net_width: int
    bits: int
    k: float
    seconds: float  # loading and planning
    seed: int
    depth: int
    depthwise: int = 0  # format.weight_shapes mask
    target_bpp: Optional[float] = None  # --bpp or --size: the rate the file must stay within RATE_TOLERANCE over
    taper: int = 100  # FitSchedule.taper
    fill: bool = False  # rate control chose the precision, so a file under its target may take the next one's codes

    @property
    def widths(self) -> tuple[int, ...]:
        """The hidden layers' widths (``format.tapered_widths``; () where they are all ``net_width``)."""
        return fmt.tapered_widths(self.net_width, self.depth, self.taper)

    @property
    def shape_key(self) -> tuple:
        return (*self.pixels.shape, self.net_width, self.bits, self.depth, self.depthwise, self.taper)

    def narrowed(self, net_width: int, depthwise: Optional[int] = None) -> _Plan:
        """This plan with another width (and kernels), its ratio k that of the new network."""
        mask = self.depthwise if depthwise is None else depthwise
        return dataclasses.replace(self, net_width=net_width, depthwise=mask,
                                   k=_ratio(self.pixels, net_width, self.depth, mask, self.taper))


def _ratio(pixels: np.ndarray, net_width: int, depth: int, depthwise: int = 0, taper: int = 100) -> float:
    """The compression ratio k of a network of this width and depth (and kernels, and taper) on these pixels."""
    return pixels.size / fmt.param_count(net_width, depth, pixels.shape[2], depthwise,
                                         fmt.tapered_widths(net_width, depth, taper))


def depthwise_mask(mode: str, net_width: int, depth: int) -> int:
    """The kernels a network of ``net_width`` (counted with kernels) gets: every layer for "on", none
    for "off", and for "auto" every layer where the width is at least ``DEPTHWISE_MIN_WIDTH``."""
    wanted = mode == "on" or (mode == "auto" and net_width >= DEPTHWISE_MIN_WIDTH)
    return fmt.all_layers(depth) if wanted else 0


def plan_network(height: int, width: int, channels: int, k: float = 32.0, bpp: Optional[float] = None,
                 bits: Optional[int] = None, depth: int = DEFAULT_DEPTH, schedule: Optional[FitSchedule] = None,
                 depthwise: str = "auto") -> tuple[int, int, int]:
    """(net_width, bits, depthwise mask) of the network an image of this size gets: ``k`` sets its width at
    ``DEFAULT_BITS`` (or ``bits``); a ``bpp`` target lets rate control pick both, its size model told what
    ``schedule`` does to the file's packing (and the widths its ``taper`` gives the layers). The network is planned
    with kernels first; where ``depthwise_mask`` denies them at that width (``auto``: too narrow), it is planned
    again without."""
    taper = 100 if schedule is None else schedule.taper

    def planned(mask: int) -> tuple[int, int]:
        if bpp is None:
            return (choose_net_width(height, width, channels, k, depth, mask, taper),
                    DEFAULT_BITS if bits is None else bits)
        choices = BPP_BITS_CHOICES if bits is None else (bits,)
        return plan_for_bpp(height, width, channels, bpp, depth, choices, MIN_NET_WIDTH, BPP_BITS_TIERS,
                            fixed_scale=schedule is not None and schedule.fixed_scale,
                            weight_l1=0.0 if schedule is None else schedule.planning_weight_l1, depthwise=mask,
                            taper=taper)

    if depthwise != "off":
        try:
            net_width, chosen_bits = planned(fmt.all_layers(depth))
            mask = depthwise_mask(depthwise, net_width, depth)
            if mask:
                return net_width, chosen_bits, mask
        except DdcInputError:  # too small for kernels: "on" reports it, "auto" plans without
            if depthwise == "on":
                raise
    return (*planned(0), 0)


def _plan(image: ImageLike, k: float, bpp: Optional[float], bits: Optional[int], seed: int,
          depth: Optional[int], schedule: Optional[FitSchedule] = None, depthwise: str = "auto",
          target_bytes: Optional[int] = None) -> _Plan:
    """The image's pixels and the network to fit them (``plan_network``). A ``target_bytes`` file size
    is the bpp target it makes at this image's size: the header is part of both. No ``depth``: the one
    ``choose_depth`` gives this image at this target."""
    start = time.perf_counter()
    pixels = load_pixels(image)
    height, width, channels = pixels.shape
    if height * width > fmt.MAX_PIXELS:
        raise DdcInputError(f"image {width}x{height} exceeds the limit of {fmt.MAX_PIXELS} pixels")
    if target_bytes is not None:
        bpp = 8 * target_bytes / (height * width)
    if depth is None:
        depth = choose_depth(height, width, channels, k, bpp, bits)
    net_width, chosen_bits, mask = plan_network(height, width, channels, k, bpp, bits, depth, schedule, depthwise)
    taper = 100 if schedule is None else schedule.taper
    if bpp is not None:
        k = _ratio(pixels, net_width, depth, mask, taper)
    return _Plan(pixels, net_width, chosen_bits, float(k), time.perf_counter() - start, seed, depth, mask, bpp, taper,
                 fill=bits is None)


def pack(weights: dict[str, torch.Tensor], height: int, width: int, channels: int, net_width: int, bits: int,
         seed: int, k: float, depth: int = DEFAULT_DEPTH, depthwise: int = 0, levels: Optional[int] = None,
         widths: tuple[int, ...] = ()) -> bytes:
    """Quantise a fitted network's weights (codes up to ``levels``, by default all of ``bits``'; more levels than
    ``bits`` reach are written at the precision that holds them, ``format.bits_for``) and write the .ddc file:
    version 4, the compact layout, where its normalisation scales are fixed (every preset's); otherwise version
    2 where it has kernels, 3 where its layers have ``widths`` of their own, else 1."""
    if levels is not None:
        bits = max(bits, fmt.bits_for(levels))
    q, steps = quantize(weights, bits, net_width, depth, channels, depthwise, levels)
    header = fmt.DdcHeader(height=height, width=width, channels=channels, net_width=net_width, depth=depth,
                           seed=seed, bits=bits, steps=steps, target_ratio=float(k), depthwise=depthwise, widths=widths)
    if fmt.fits_compact(header, q):
        header = dataclasses.replace(header, version=fmt.COMPACT_VERSION)
    return fmt.encode_file(header, q)


def _packer(plan: _Plan, weights: dict[str, torch.Tensor]) -> Callable[[Optional[int]], bytes]:
    """The plan's file from ``weights``, codes up to the levels given."""
    height, width, channels = plan.pixels.shape
    return lambda levels: pack(weights, height, width, channels, plan.net_width, plan.bits, plan.seed, plan.k,
                               plan.depth, plan.depthwise, levels, plan.widths)


def _levels_for(plan: _Plan, weights: dict[str, torch.Tensor]) -> int:
    """The largest code the plan's weights are rounded to: all of its precision's, fewer where the float fit shows
    a --bpp or --size file would come out over its target, more where it would come out under and rate control
    chose the precision (``ratecontrol.target_levels``)."""
    if plan.target_bpp is None:
        return qmax(plan.bits)
    height, width, _ = plan.pixels.shape
    packer = _packer(plan, {name: w.detach() for name, w in weights.items()})
    return target_levels(plan.bits, plan.target_bpp * height * width / 8, lambda m: len(packer(m)), plan.fill)


def _finish(plan: _Plan, weights: dict[str, torch.Tensor], float_psnr: float, schedule: FitSchedule,
            dev: torch.device, fit_seconds: float, batch: int, levels: int) -> tuple[bytes, EncodeResult]:
    """Quantise (codes up to ``levels``), pack, and decode the file once to measure what the decoder will render."""
    start = time.perf_counter()
    height, width, channels = plan.pixels.shape
    data = _packer(plan, weights)(levels)
    header, q = fmt.decode_file(data)
    decoded = _render(header, q, dev)
    result = EncodeResult(
        bytes=len(data), bpp=8 * len(data) / (height * width), psnr=psnr(decoded, plan.pixels),
        float_psnr=float_psnr,
        width=plan.net_width, ratio=header.ratio, target_ratio=plan.k, bits=header.bits, seed=plan.seed,
        depth=plan.depth,
        image_width=width, image_height=height, channels=channels,
        iterations=total_steps(schedule, plan.depth, plan.bits), device=str(dev), fit_seconds=fit_seconds,
        encode_seconds=plan.seconds + fit_seconds + time.perf_counter() - start, batch=batch,
        depthwise=bool(plan.depthwise), levels=levels)
    return data, result


def encode(image: ImageLike, k: float = 32.0, *, bpp: Optional[float] = None, psnr: Optional[float] = None,
           target_bytes: Optional[int] = None, bits: Optional[int] = None, preset: str | FitSchedule = "default",
           seed: int = 0, iters: Optional[int] = None, device: str = "auto", tries: int = 1,
           depth: Optional[int] = None, depthwise: str = "auto",
           progress: Optional[Progress] = None) -> tuple[bytes, EncodeResult]:
    """Fit a Deep Decoder to ``image`` and return the .ddc bytes and a record.

    The size is set by the compression ratio ``k`` = (H * W * C) / (number of network
    parameters): the file holds about C * bits / k bits per pixel (21 / k for RGB at
    the default 7 bits). Or by ``bpp``, a target bits per pixel, which overrides ``k``
    and picks the width and (unless ``bits`` is given) the precision that hit it; or by
    ``target_bytes``, a file size, which is the same as the bpp it makes at the image's size. Or by
    ``psnr``, a target quality in dB: the smallest file reaching it (see ``encode_to_psnr``).
    ``preset`` names one of ``PRESETS`` or is a ``FitSchedule`` of its own. ``tries`` > 1
    fits seeds ``seed``, ``seed + 1``, ... through the main fit's reduced-size stages and finishes the one that
    fitted best there (``fit.fit_best_seed``; a schedule without such stages fits every seed in full and keeps the
    best file): the seed costs nothing in the file, and a fit's outcome varies with it by a few tenths of a dB.
    ``depth`` is the number of hidden layers (the image is drawn from a grid 2^(depth-1) times smaller); None: the one
    ``choose_depth`` gives the image at this target (7 for large images at low rates, else 6).
    ``depthwise`` ("auto", "on", "off") gives every hidden layer a learnt 3x3 kernel per channel
    (format version 2); "auto" does where the network is at least ``DEPTHWISE_MIN_WIDTH`` wide.
    """
    _check_rate_target(bpp, psnr, target_bytes)
    if psnr is not None:
        return encode_to_psnr(image, psnr, bits=bits, preset=preset, seed=seed, iters=iters, device=device,
                              tries=tries, depth=depth, depthwise=depthwise, progress=progress)
    _check_options(DEFAULT_BITS if bits is None else bits, seed, tries, depth, depthwise)
    schedule = _schedule(preset, iters)
    dev = resolve_device(device)
    plan = _plan(image, k, bpp, bits, seed, depth, schedule, depthwise, target_bytes)
    encoded = _encode_tries(plan, tries, schedule, dev, progress)
    return _within_rate(plan, encoded, lambda narrower: _encode_tries(narrower, tries, schedule, dev, progress))


def _check_rate_target(bpp: Optional[float], psnr: Optional[float], target_bytes: Optional[int]) -> None:
    """At most one of the targets that override ``k``; a file size in whole bytes."""
    given = [name for name, value in (("bpp", bpp), ("PSNR", psnr), ("file size", target_bytes)) if value is not None]
    if len(given) > 1:
        raise DdcInputError(f"give only one of a {', a '.join(given[:-1])} and a {given[-1]} target")
    if target_bytes is not None and (isinstance(target_bytes, bool) or not isinstance(target_bytes, int)
                                     or target_bytes < 1):
        raise DdcInputError(f"target file size must be a positive whole number of bytes, got {target_bytes!r}")


def _within_rate(plan: _Plan, encoded: tuple[bytes, EncodeResult],
                 refit: Callable[[_Plan], tuple[bytes, EncodeResult]]) -> tuple[bytes, EncodeResult]:
    """Keep a --bpp or --size file within ``RATE_TOLERANCE`` over its target: while it is over, fit one width
    narrower (``refit``), with the same kernels (even below ``DEPTHWISE_MIN_WIDTH``). Rate control plans from a
    size model that is right on average; a single file can stray past the tolerance (at 768x512 and 0.25 bpp, 1 in
    12 in 1.4.0's run, 2 in 8 in session 46's). Since 1.22.0 the float fit shows it first and the file is rounded to
    fewer levels (``_levels_for``), so a refit is left for a file that stays over even so (the trim gives up at
    ``ratecontrol.MAX_TRIM``). A width step is a few per cent of a file at 768x512, so one refit should usually land
    inside; files under the target are kept."""
    limit = _size_limit(plan)
    if limit is None:
        return encoded
    spent, refits = 0.0, 0
    data, result = encoded
    while len(data) > limit and plan.net_width > MIN_NET_WIDTH:
        spent += result.encode_seconds
        plan = plan.narrowed(plan.net_width - 1)
        data, result = refit(plan)
        refits += 1
    if not refits:
        return data, result
    return data, dataclasses.replace(result, refits=refits, encode_seconds=spent + result.encode_seconds)


def _size_limit(plan: _Plan) -> Optional[float]:
    """The most bytes a --bpp or --size file may take (its target plus ``RATE_TOLERANCE``); None for a -k plan."""
    if plan.target_bpp is None:
        return None
    height, width, _ = plan.pixels.shape
    return plan.target_bpp * height * width / 8 * (1 + RATE_TOLERANCE)


def _penalty_candidates(schedule: FitSchedule) -> list[FitSchedule]:
    """The schedules an encode fits, each in full: ``schedule``, then the same at each of its ``weight_l1_tries``."""
    first = dataclasses.replace(schedule, weight_l1_tries=())
    return [first] + [dataclasses.replace(first, weight_l1=strength) for strength in schedule.weight_l1_tries]


def _best_penalty(encodes: Callable[[FitSchedule, Optional[Progress]], list[tuple[bytes, EncodeResult]]],
                  schedule: FitSchedule, progress: Optional[Progress],
                  plans: Sequence[_Plan]) -> list[tuple[bytes, EncodeResult]]:
    """``encodes`` (one file per plan of ``plans``) run with each of ``_penalty_candidates(schedule)``; per plan the
    file that decodes best among those within its size limit (``_size_limit``), or among all when none is, so that
    ``_within_rate`` refits only when every candidate is over. The candidates' progress is reported as one run."""
    candidates = _penalty_candidates(schedule)
    runs = []
    for index, candidate in enumerate(candidates):
        shifted = None if progress is None else (
            lambda done, total, db, index=index: progress(done + index * total, total * len(candidates), db))
        runs.append([(data, dataclasses.replace(result, weight_l1=candidate.weight_l1, penalties=len(candidates)))
                     for data, result in encodes(candidate, shifted)])
    kept = []
    for plan, per_plan in zip(plans, zip(*runs)):
        limit = _size_limit(plan)
        within = [item for item in per_plan if limit is None or len(item[0]) <= limit]
        data, result = max(within or per_plan, key=lambda item: item[1].psnr)
        kept.append((data, dataclasses.replace(result, encode_seconds=sum(r.encode_seconds for _, r in per_plan))))
    return kept


def _encode_tries(plan: _Plan, tries: int, schedule: FitSchedule, dev: torch.device,
                  progress: Optional[Progress]) -> tuple[bytes, EncodeResult]:
    """``_encode_seeds`` with each strength of the schedule's ``weight_l1_tries`` too; the best file."""
    return _best_penalty(lambda candidate, shown: [_encode_seeds(plan, tries, candidate, dev, shown)],
                         schedule, progress, [plan])[0]


def _encode_seeds(plan: _Plan, tries: int, schedule: FitSchedule, dev: torch.device,
                  progress: Optional[Progress]) -> tuple[bytes, EncodeResult]:
    """The best of ``tries`` fits of one plan with consecutive seeds. Since 1.23.0 the seeds are fitted through the
    main fit's reduced-size stages only and the best there is finished (``fit.fit_best_seed``); a schedule without
    such stages fits every seed in full (together on a GPU) and keeps the best file."""
    plans = [dataclasses.replace(plan, seed=plan.seed + t) for t in range(tries)]
    if tries > 1 and seed_pick_step(schedule) is not None:
        return _encode_best_seed(plans, schedule, dev, progress)
    encoded = _encode_plans(plans, schedule, dev, progress, batch_size=tries if dev.type == "cuda" else 1)
    data, result = max(encoded, key=lambda item: item[1].psnr)
    if tries == 1:
        return data, result
    return data, dataclasses.replace(result, tries=tries,
                                     encode_seconds=sum(r.encode_seconds for _, r in encoded))


def _encode_best_seed(plans: list[_Plan], schedule: FitSchedule, dev: torch.device,
                      progress: Optional[Progress]) -> tuple[bytes, EncodeResult]:
    """``fit.fit_best_seed`` over the plans (one plan, consecutive seeds), then the chosen one's file."""
    start = time.perf_counter()
    plan = plans[0]
    height, width, channels = plan.pixels.shape
    _prepare_device(dev, plan, 1)
    nets = [DeepDecoder(height, width, channels, plan.net_width, plan.depth, p.seed, depthwise=plan.depthwise,
                        widths=plan.widths, out_gain=schedule.out_gain).to(dev) for p in plans]
    levels: dict[int, int] = {}

    def levels_for(index: int, weights: dict[str, torch.Tensor]) -> int:
        levels[index] = _levels_for(plans[index], weights)
        return levels[index]

    best, float_psnr = fit_best_seed(nets, _to_tensor(plan.pixels, dev), schedule, plan.bits, progress, levels_for)
    data, result = _finish(plans[best], dict(nets[best].weights), float_psnr, schedule, dev,
                           time.perf_counter() - start, 1, levels[best])
    return data, dataclasses.replace(result, tries=len(plans),
                                     iterations=total_steps(schedule, plan.depth, plan.bits, len(plans)))


PSNR_SEARCH_MIN_K = 8.0  # the widest network the PSNR search tries (about 2.6 bpp for RGB at 7 bits)


def encode_to_psnr(image: ImageLike, target: float, *, bits: Optional[int] = None,
                   preset: str | FitSchedule = "default", seed: int = 0, iters: Optional[int] = None,
                   device: str = "auto", tries: int = 1, depth: Optional[int] = None, depthwise: str = "auto",
                   progress: Optional[Progress] = None) -> tuple[bytes, EncodeResult]:
    """The narrowest network (at ``bits``, default 7) whose decoded PSNR reaches ``target`` dB.

    A binary search over the width, from the minimum up to ratio k=8 (an image too small for k=8, under
    about 12x12 pixels, gets its narrowest network, the only one under k=8): every probe is a full
    encode, so this costs about log2(width) + 1 encodes. It assumes PSNR grows with width,
    which holds on average; a fit's own noise (a few tenths of a dB) can make the chosen
    width a step wider or narrower than the true smallest. Raises ``DdcInputError`` when
    even k=8 falls short, naming the PSNR it reached. Each width gets the kernels ``depthwise_mask``
    gives it, so with "auto" the narrow probes have none. No ``depth``: ``DEFAULT_DEPTH`` for every probe
    (the search is over widths at one depth; ``choose_depth``'s low-rate depth is not tried).
    """
    if not (isinstance(target, (int, float)) and math.isfinite(target) and target > 0):
        raise DdcInputError(f"PSNR target must be a positive number of dB, got {target!r}")
    bits = DEFAULT_BITS if bits is None else bits
    _check_options(bits, seed, tries, depth, depthwise)
    depth = DEFAULT_DEPTH if depth is None else depth
    schedule = _schedule(preset, iters)
    dev = resolve_device(device)
    start = time.perf_counter()
    pixels = load_pixels(image)
    # an image too small for k=8 (under about 12x12 pixels) is searched from its narrowest network alone
    smallest = max_ratio(*pixels.shape, depth, depthwise_mask(depthwise, MIN_NET_WIDTH, depth), schedule.taper)
    k = min(PSNR_SEARCH_MIN_K, smallest * (1 - 1e-9))
    widest = _plan(pixels, k, None, bits, seed, depth, schedule, depthwise=depthwise)

    def probe(net_width: int) -> tuple[bytes, EncodeResult]:
        plan = widest.narrowed(net_width, depthwise_mask(depthwise, net_width, depth))
        return _encode_tries(plan, tries, schedule, dev, progress)

    best = probe(widest.net_width)
    if best[1].psnr < target:
        raise DdcInputError(f"PSNR {target:g} dB is out of reach: the widest network tried (k={k:.3g}) "
                            f"gave {best[1].psnr:.2f} dB")
    lo, hi = MIN_NET_WIDTH, widest.net_width  # invariant: width hi reaches the target, width lo - 1 fell short
    while lo < hi:
        mid = (lo + hi) // 2
        candidate = probe(mid)
        if candidate[1].psnr >= target:
            hi, best = mid, candidate
        else:
            lo = mid + 1
    data, result = best
    return data, dataclasses.replace(result, encode_seconds=time.perf_counter() - start)


def encode_batch(images: Sequence[ImageLike], k: float = 32.0, *, bpp: Optional[float] = None,
                 target_bytes: Optional[int] = None, bits: Optional[int] = None, preset: str | FitSchedule = "default", seed: int = 0,
                 iters: Optional[int] = None, device: str = "auto", progress: Optional[Progress] = None,
                 batch_size: int = 1, depth: Optional[int] = None,
                 depthwise: str = "auto") -> list[tuple[bytes, EncodeResult]]:
    """``encode`` each image, fitting up to ``batch_size`` images of one size together.

    Batching fits several images as one network (``BatchedDeepDecoder``), meant to amortise
    kernel launches on a GPU; on an H100 at 768x512 a step is bound by the GPU's work, and a
    folder of 8 took 67.8 s batched against 69.4 s one at a time (RESULTS.md, "On an H100"). On a
    CPU, which is busy with one image already, it gains nothing. Each file is the one
    ``encode`` would make up to float rounding; each result's ``fit_seconds`` is its share of
    its batch's fit. Results are in input order.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise DdcInputError(f"batch size must be a positive integer, got {batch_size!r}")
    _check_rate_target(bpp, None, target_bytes)
    _check_options(DEFAULT_BITS if bits is None else bits, seed, depth=depth, depthwise=depthwise)
    schedule = _schedule(preset, iters)
    dev = resolve_device(device)
    plans = [_plan(image, k, bpp, bits, seed, depth, schedule, depthwise, target_bytes) for image in images]
    encoded = _best_penalty(lambda candidate, shown: _encode_plans(plans, candidate, dev, shown, batch_size),
                            schedule, progress, plans)
    return [_within_rate(plan, item, lambda narrower: _encode_tries(narrower, 1, schedule, dev, progress))
            for plan, item in zip(plans, encoded)]


GPU_MAX_ACTIVATION = 2**31 - 1  # values in one activation that torch's CUDA bilinear upsampling accepts


def check_gpu_fit(height: int, width: int, channels: int, net_width: int, depth: int, batch: int = 1) -> None:
    """Refuse, before any fitting, a GPU fit whose full-resolution activation torch cannot upsample.

    A 4096x4096 image at k=32 needs width 510: 8.6 billion values in one activation, which
    torch's channels-last bilinear upsampling on CUDA rejects (INT_MAX), 34 GB each besides.
    """
    if batch * net_width * height * width <= GPU_MAX_ACTIVATION:
        return
    widest = GPU_MAX_ACTIVATION // (height * width)
    if widest < MIN_NET_WIDTH:
        raise DdcInputError(f"image {width}x{height} is too large to fit on a GPU; use --device cpu")
    min_k = math.floor(height * width * channels / fmt.param_count(widest + 1, depth, channels)) + 1
    advice = f"use -k {min_k} or more" + (" and --batch 1" if batch > 1 else "")
    networks = f"{batch} width-{net_width} networks are" if batch > 1 else f"a width-{net_width} network is"
    raise DdcInputError(f"{networks} too large for one GPU fit at {width}x{height} (at most {GPU_MAX_ACTIVATION} "
                        f"values per activation): {advice}, or --device cpu")


def _prepare_device(dev: torch.device, plan: _Plan, batch: int) -> None:
    """Before fitting ``batch`` networks of the plan's shape at once: on a CPU keep freed memory (``tune_allocator``),
    on a GPU refuse a fit too large for it (``check_gpu_fit``)."""
    if dev.type == "cpu":
        tune_allocator()
    else:
        check_gpu_fit(*plan.pixels.shape, plan.net_width, plan.depth, batch)


def _encode_plans(plans: list[_Plan], schedule: FitSchedule, dev: torch.device,
                  progress: Optional[Progress], batch_size: int = 1) -> list[tuple[bytes, EncodeResult]]:
    """Fit and pack each plan, up to ``batch_size`` plans of one shape at a time; results in order."""
    groups: dict[tuple, list[int]] = {}
    for i, plan in enumerate(plans):
        groups.setdefault(plan.shape_key, []).append(i)
    for members in groups.values():
        _prepare_device(dev, plans[members[0]], min(batch_size, len(members)))
    results: list = [None] * len(plans)
    for members in groups.values():
        for first in range(0, len(members), batch_size):
            chunk = members[first:first + batch_size]
            group_start = time.perf_counter()
            plan = plans[chunk[0]]
            height, width, channels = plan.pixels.shape
            nets = [DeepDecoder(height, width, channels, plan.net_width, plan.depth, plans[i].seed,
                                depthwise=plan.depthwise, widths=plan.widths, out_gain=schedule.out_gain)
                    for i in chunk]
            model = (nets[0] if len(chunk) == 1 else BatchedDeepDecoder(nets)).to(dev)
            target = torch.cat([_to_tensor(plans[i].pixels, dev) for i in chunk])
            levels: dict[int, int] = {}

            def levels_for(j: int, weights: dict[str, torch.Tensor], chunk: list[int] = chunk) -> int:
                levels[j] = _levels_for(plans[chunk[j]], weights)
                return levels[j]

            float_psnrs = fit(model, target, schedule, plan.bits, progress, levels_for)
            share = (time.perf_counter() - group_start) / len(chunk)
            for j, i in enumerate(chunk):
                weights = dict(model.weights) if len(chunk) == 1 else model.image_weights(j)
                results[i] = _finish(plans[i], weights, float_psnrs[j], schedule, dev, share, len(chunk), levels[j])
    return results


def decode_pixels(data: fmt.DdcSource, device: str = "auto") -> np.ndarray:
    """The decoded 8-bit pixels (H, W, C) of a .ddc file, given as bytes or as a path."""
    header, q = fmt.decode_file(data)
    return _render(header, q, resolve_device(device))


def decode(data: fmt.DdcSource, device: str = "auto"):
    """Decode a .ddc file (bytes or a path) to a PIL image (mode L, LA, RGB or RGBA by channel count)."""
    return to_pil(decode_pixels(data, device))
