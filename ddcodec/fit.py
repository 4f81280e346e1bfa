"""The encoder's fitting loop: fit the float network, then fine-tune it quantisation-aware.

Phase 1 fits the float network with Adam and a one-cycle schedule (linear warm-up, cosine
decay), which DESIGN.md section 2 measured as better than a plain cosine. Phase 2 keeps
the channel normalisation live and fine-tunes through ``fake_quant`` with straight-through
gradients, so the weights settle where rounding them costs little. Both phases keep the
best iterate seen; the second phase's first step is plain post-training quantisation, so
fine-tuning can only improve on it.
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import math
import os
import sys
import warnings
from typing import Callable, Generator, Optional

import torch
import torch.nn.functional as F

from .model import BatchedDeepDecoder, DeepDecoder, Transform, coarse_size, tf32_matmuls, unit_rows
from .presets import DEFAULT_BITS, FitSchedule
from .quant import fake_quant, noise_quant, qmax
from .rounding import hessian_round, networks, round_layer_by_layer

Progress = Callable[[int, int, float], None]  # (iterations done, total, current PSNR dB)
JITTER_DECAY, JITTER_DECAY_STEPS = 0.7, 500  # the reference's input-noise schedule


def tune_allocator() -> None:
    """Stop glibc returning large blocks to the OS after every iteration.

    Fitting allocates the same big activations each step; with glibc's defaults each one
    is a fresh mmap whose pages fault in again, which measured 1.8x slower on 2 CPU cores.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    for param, value in MALLOC_SETTINGS.items():
        libc.mallopt(param, ctypes.c_int(value))


# mallopt's (param, value), both C ints: M_MMAP_THRESHOLD 1 GiB, M_TRIM_THRESHOLD the largest int (about 2 GiB: the
# 16 GiB written before session 27 did not fit an int and reached glibc as 0, "trim at every free": a 300-iteration
# 768x512 encode then took 1.59 million page faults instead of 0.55, though no measurable wall time, 159-167 s against
# 151-169, same file; samples/perf-cpu/allocator_trim.txt), M_TOP_PAD 256 MiB
MALLOC_SETTINGS = {-3: 1 << 30, -1: (1 << 31) - 1, -2: 1 << 28}


def _one_cycle(step: int, total: int, warmup: float) -> float:
    warm = max(1, int(total * warmup))
    if step < warm:
        return (step + 1) / warm
    t = (step - warm) / max(1, total - warm)
    return 0.5 * (1 + math.cos(math.pi * t))


def _cosine(step: int, total: int) -> float:
    return 0.5 * (1 + math.cos(math.pi * step / max(1, total)))


def psnr_from_mse(mse: float) -> float:
    """PSNR in dB of images in [0, 1]."""
    return 10 * math.log10(1.0 / max(mse, 1e-20))


def per_image_mse(model: torch.nn.Module, target: torch.Tensor, transform,
                  rows: Optional[torch.Tensor] = None, coarse: int = 0) -> torch.Tensor:
    """MSE of each image (B,); their sum is the loss, so each network gets its own gradient.
    With ``coarse``, ``target`` is the image at ``coarse_size(sizes, coarse)``."""
    if rows is not None:
        target = target[:, :, rows]
    return F.mse_loss(model(transform, rows=rows, coarse=coarse), target, reduction="none").mean(dim=(1, 2, 3))


def weight_magnitude(model: torch.nn.Module) -> torch.Tensor:
    """Sum over the hidden convs of the mean magnitude of their row-normalised weights, per network (the
    ``weight_l1`` penalty; summed over a batch, each network gets its own gradient).

    Convs of one shape (every one, where the layers have one width) are stacked and reduced together: a handful of
    kernels per step instead of a dozen per layer, which a GPU step would pay in launches."""
    return sum(layers.sum() for layers in _layer_magnitudes(model))


def weight_magnitudes(model: torch.nn.Module) -> torch.Tensor:
    """``weight_magnitude`` of each network (B,) of a ``BatchedDeepDecoder``, a scalar for a ``DeepDecoder``: what a
    penalty whose strength differs between networks (``penalty_strength``) weighs."""
    return sum(layers.sum(dim=-1) for layers in _layer_magnitudes(model))


def _layer_magnitudes(model: torch.nn.Module) -> list[torch.Tensor]:
    """Per group of same-shaped hidden convs, each one's mean row-normalised magnitude (its last dimension: the
    layers; a ``BatchedDeepDecoder``'s networks before it)."""
    by_shape: dict[torch.Size, list[torch.Tensor]] = {}
    for name, p in model.weights.items():
        if name.startswith("conv"):
            by_shape.setdefault(p.shape, []).append(p)
    return [unit_rows(torch.stack(convs, dim=-3)).abs().mean(dim=(-2, -1)) for convs in by_shape.values()]


def penalty_strength(mse: torch.Tensor, weight_l1: float | torch.Tensor, ref_mse: float, floor: float) -> torch.Tensor:
    """Each network's ``weight_l1`` strength from its current MSE (B,): ``weight_l1`` times the MSE over ``ref_mse``,
    kept within [``floor``, 1] of it (``FitSchedule.l1_ref_db``). The penalty trades file size for distortion; measured
    in dB a given MSE change matters more the lower the MSE, so an image fitted well (smooth, or at a high rate) gets a
    weaker penalty. Screened in session 59 and in no preset: it kept less of 0.0006's gain than 0.0006 throughout and
    did not spare kodim03 (RESULTS.md, "The best preset: the default at two penalty strengths")."""
    return weight_l1 * (mse.float() / ref_mse).clamp(floor, 1.0)


# bfloat16 steps (FitSchedule.bf16) pay only where a step is bound by its large layers' memory traffic and matrix
# products; on smaller layers the casts cost what they save (RESULTS.md, "bfloat16 fitting"). Measured on 2 cores of an
# AVX-512 EPYC with native bfloat16 instructions: 16 MiB in session 24 (samples/perf-cpu/bf16_step.txt); 1 MiB since
# 1.25.0, as the steps had changed since: a 384x256 step at width 21 (8 MB layers) took 50 against 104 ms on 2 threads
# (samples/perf-cpu/bf16_gate_step.txt), and the 12 Kodak images at 384x256 encoded 12% faster, +0.04 dB at equal rate
# (samples/perf-cpu/bf16_gate_compare.py)
BF16_MIN_BYTES = 1 << 20


def bf16_supported() -> bool:
    """Whether this CPU computes bfloat16 natively enough for oneDNN's bfloat16 kernels (AVX-512 or AMX); elsewhere
    (AVX2) ``FitSchedule.bf16`` is ignored and the fit stays float32."""
    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _bf16_wanted(option: bool, target: torch.Tensor) -> bool:
    """Whether a phase asked to run in bfloat16 (``option``) may: on a CPU with native bfloat16 only."""
    return bool(option) and target.device.type == "cpu" and bf16_supported()


def bf16_layer_pays(channels: int, size: tuple[int, int]) -> bool:
    """Whether a CPU step rendering ``size`` with ``channels`` channels (every stacked image's) gains from
    bfloat16: its largest layer holds at least ``BF16_MIN_BYTES`` of float32."""
    return 4 * channels * size[0] * size[1] >= BF16_MIN_BYTES


def _bf16_pays(model: torch.nn.Module, size: tuple[int, int]) -> bool:
    """``bf16_layer_pays`` for the channels of ``model``'s last hidden layer (every stacked image's), the one drawn at
    ``size``."""
    out = model.weights["out"]
    return bf16_layer_pays(out.shape[-1] * (out.shape[0] if out.dim() == 3 else 1), size)


def _coarse_target(model: DeepDecoder | BatchedDeepDecoder, target: torch.Tensor, levels: int) -> torch.Tensor:
    """The image at the coarse size ``levels`` upsamplings down, each pixel the mean of the pixels it covers."""
    return F.interpolate(target, size=coarse_size(model.sizes, levels), mode="area")


def _row_sampler(height: int, fraction: float, device: torch.device) -> Optional[Callable[[], torch.Tensor]]:
    """Random sorted row subsets of the given fraction, the same sequence on every run (files are
    deterministic); None when every row is used."""
    count = max(1, round(height * fraction))
    if count >= height:
        return None
    gen = torch.Generator().manual_seed(0)
    return lambda: torch.randperm(height, generator=gen)[:count].sort().values.to(device)


def _copy_where(dst: dict, src: dict, mask: torch.Tensor, batched: bool) -> None:
    """dst[n] = src[n] for the images flagged in ``mask`` (B,) (a batched network's leading axis).

    A select on the device rather than a test of the mask on the host: reading the mask would
    wait for the GPU every step, and on an H100 that wait cost more than the step (w77, 768x512:
    6.3 against 4.9 ms)."""
    with torch.no_grad():
        for n, d in dst.items():
            m = mask.view(-1, *([1] * (d.dim() - 1))) if batched else mask.reshape(())
            d.copy_(torch.where(m, src[n].detach(), d))


PICK_WINDOW = 25  # steps at the end of the half-size stage whose best loss ranks seeds (fit_best_seed)
PROGRESS_EVERY_ON_GPU = 25  # steps between progress reports on a GPU (each one waits for it)
GRAPH_WARMUP = 3  # eager steps, on a side stream, before a run of identical steps is captured
MIN_GRAPH_STEPS = 20  # shorter runs of steps are not worth a capture


def cuda_graphs_enabled() -> bool:
    """Whether CUDA fits replay captured steps (the default; ``DDCODEC_CUDA_GRAPHS=0`` turns it off)."""
    return os.environ.get("DDCODEC_CUDA_GRAPHS", "1") != "0"


def _use_graphs(target: torch.Tensor, sample_rows, jitter: float) -> bool:
    """Replay each run of identical steps as one CUDA graph (on CUDA, unless ``cuda_graphs_enabled``
    says no).

    On an H100 the half-size steps of this small network are bound by the host launching their
    many small kernels (768x512, one step in isolation: 0.9 to 1.7 ms captured against 4 to 5 ms
    launched one by one); full-size steps at width 77 are bound by the GPU (4.7 ms either way).
    Whole default encodes at k=32: 8.9 s graphed against 12.0 to 13.4 s eager, at equal PSNR
    (RESULTS.md, "On an H100"; measured in session 14's channels-last GPU layout). Steps that draw
    fresh rows or noise on the host are not identical and always run eagerly."""
    return target.device.type == "cuda" and sample_rows is None and not jitter and cuda_graphs_enabled()


def _run_phase(*args, **kwargs) -> torch.Tensor:
    """``_phase_steps`` run to its end."""
    return _finish_phase(_phase_steps(*args, **kwargs))


def _finish_phase(steps: Generator[torch.Tensor, None, torch.Tensor]) -> torch.Tensor:
    """Drive a ``_phase_steps`` generator past any pause to its end; its result."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


ADAM_EPS = 1e-8  # torch's default, every other parameter's


def _param_groups(model: torch.nn.Module, out_gain: float) -> list[dict]:
    """Adam's parameter groups, each with the ``gain`` its learning rate is multiplied by: the output conv's is
    ``out_gain`` (``FitSchedule.out_gain``); with 1, one group of every parameter, in the model's order. The output
    conv's epsilon is divided by the gain, so that its steps are exactly ``out_gain`` times those of a conv whose
    weights are 1 / ``out_gain`` times as large (its gradients ``out_gain`` times as large), Adam's epsilon included:
    the fit of ``sigmoid(out_gain * conv)`` with every rate 1, bit for bit where the gain is a power of two."""
    params = list(model.parameters())
    if out_gain == 1:
        return [{"params": params, "gain": 1.0}]
    out = model.weights["out"]
    return [{"params": [p for p in params if p is not out], "gain": 1.0},
            {"params": [out], "gain": out_gain, "eps": ADAM_EPS / out_gain}]


def _phase_steps(model: torch.nn.Module, target: torch.Tensor, iters: int, lr: float,
                 lr_factor: Callable[[int], float], transform, progress: Optional[Progress],
                 done: int, total: int, sample_rows: Optional[Callable[[], torch.Tensor]] = None,
                 coarse_steps: int = 0, jitter: float = 0.0, weight_l1: float = 0.0, bf16: bool = False,
                 quarter_steps: int = 0, beta2: float = 0.999,
                 beta1: float = 0.9, noise_steps: int = 0, noise_bits: int = DEFAULT_BITS,
                 noise_scale: float = 1.0, restore_db: Optional[float] = None,
                 pause_at: Optional[int] = None, out_gain: float = 1.0, l1_ref_mse: Optional[float] = None,
                 l1_floor: float = 1.0, l1_end: Optional[float] = None) -> Generator[torch.Tensor, None, torch.Tensor]:
    """Adam for ``iters`` steps; leaves each network at its best iterate seen and returns their MSEs (B,).

    A generator: with ``pause_at`` (the first full-size step, ``quarter_steps + coarse_steps``) it yields once there,
    before that step, each network's lowest loss over the ``PICK_WINDOW`` steps before it (those of its stage) (B,),
    so a caller can compare fits of several seeds there and go on with the best one only (``fit_best_seed``);
    ``_run_phase`` runs it through.

    With ``sample_rows`` each step sees a row subset: its loss says little about the whole
    image, so no best iterate is tracked and the last one is kept. The first
    ``quarter_steps`` steps fit the quarter-size image, the next ``coarse_steps`` the half-size one; best iterates
    are tracked after them, and with ``restore_db`` in them too (judged at their size): a stage that ends more than
    that many dB under its best hands the next stage its best iterate (``_restore_best``).
    With ``jitter`` each step's fixed input gets fresh Gaussian noise (std decaying x0.7 every
    ``JITTER_DECAY_STEPS``); the best iterate is still judged by its loss on the noisy input,
    as the reference does, and the final check uses the clean one. With ``weight_l1`` the loss
    minimised adds that times ``weight_magnitude``; best iterates are still judged by the MSE; with ``l1_ref_mse`` each
    network's strength follows its MSE at each step (``penalty_strength``, within [``l1_floor``, 1] of it); with ``l1_end``
    the strength moves linearly from ``weight_l1`` at the first step to ``l1_end`` at the last. With ``bf16``
    (callers pass it on a CPU only) each step whose layers are large enough (``_bf16_pays``) runs its forward
    under bfloat16 autocast; the weights, Adam and the final check stay float32. The last ``noise_steps`` (full-size)
    steps fit through ``noise_quant`` at ``noise_bits`` (``noise_scale`` steps wide, from a generator of their own); from
    the first of them on no best iterate is kept, the last one is. The output conv's learning rate is ``out_gain``
    times the others' (``FitSchedule.out_gain``).
    """
    batched = isinstance(model, BatchedDeepDecoder)
    on_gpu = target.device.type == "cuda"
    graphs = _use_graphs(target, sample_rows, jitter)
    # fused: one kernel for the whole update (the per-tensor kernels took 0.6 ms a step on an H100);
    # a graph replays the update, so its learning rate lives on the device and is set before each step
    groups = _param_groups(model, out_gain)
    for group in groups:  # with graphs each group's rate is a device tensor, set before each replay
        rate = lr * group["gain"]
        group["lr"] = torch.tensor(rate * lr_factor(0), device=target.device) if graphs else rate
    opt = torch.optim.Adam(groups, betas=(beta1, beta2), fused=on_gpu or None, capturable=graphs)
    sched = None if graphs else torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    best_loss = torch.full((target.shape[0],), math.inf, dtype=torch.float64, device=target.device)
    best = {n: p.detach().clone() for n, p in model.weights.items()}
    fine_from = quarter_steps + coarse_steps  # the first step at full size
    noise_from = max(fine_from, iters - noise_steps) if noise_steps else iters
    if noise_steps:
        rounding_gen = torch.Generator(device=target.device).manual_seed(1)  # files stay deterministic

        def noisy(name: str, w: torch.Tensor) -> torch.Tensor:
            return noise_quant(name, w, noise_bits, rounding_gen, noise_scale)

    def level(step: int) -> int:
        """Upsamplings skipped at ``step``."""
        return 2 if step < quarter_steps else 1 if step < fine_from else 0

    levels = {level(s) for s in (0, quarter_steps, fine_from) if s < iters}
    targets = {lv: _coarse_target(model, target, lv) if lv else target for lv in levels}
    bf16_at = {lv: bf16 and _bf16_pays(model, tuple(t.shape[2:])) for lv, t in targets.items()}
    if jitter:
        clean_z = model.z.clone()
        noise_gen = torch.Generator().manual_seed(0)  # files stay deterministic
    # a ramped penalty's strength lives on the device and is set before each step, as a graph replays the step
    l1_now = None if l1_end is None else torch.zeros((), device=target.device)

    def step_body(step: int) -> torch.Tensor:
        """One step, gradients already cleared; returns each image's loss (float64, on the device)."""
        if jitter:
            std = jitter * JITTER_DECAY ** (step // JITTER_DECAY_STEPS)
            noise = torch.randn(clean_z.shape, generator=noise_gen).to(clean_z.device) * std
            model.z.copy_(clean_z + noise)
        lv = level(step)
        if step == noise_from:
            best_loss.fill_(math.inf)  # the noisy steps' last iterate is kept
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16_at[lv]):
            if lv:
                losses = per_image_mse(model, targets[lv], transform, coarse=lv)
            else:
                losses = per_image_mse(model, target, noisy if step >= noise_from else transform,
                                       None if sample_rows is None else sample_rows())
        values = losses.detach().double()
        if (sample_rows is None or lv) and (restore_db is not None or not lv) and step < noise_from:
            improved = values < best_loss
            best_loss.copy_(torch.where(improved, values, best_loss))
            _copy_where(best, dict(model.weights), improved, batched)
        loss = losses.sum()
        strength = weight_l1 if l1_now is None else l1_now
        if l1_ref_mse is not None and (weight_l1 or l1_end):
            strength = penalty_strength(losses.detach(), strength, l1_ref_mse, l1_floor)
            loss = loss + (strength * weight_magnitudes(model)).sum()
        elif weight_l1 or l1_end:
            loss = loss + strength * weight_magnitude(model)
        loss.backward()
        opt.step()
        return values

    def report(step: int, values: torch.Tensor) -> None:
        if progress is not None and (not on_gpu or (step + 1) % PROGRESS_EVERY_ON_GPU == 0 or step + 1 == iters):
            shown = values if sample_rows is not None or level(step) or step >= noise_from else best_loss
            progress(done + step + 1, total, psnr_from_mse(float(shown.mean())))

    step, values = 0, None
    window = torch.full_like(best_loss, math.inf)  # the lowest loss of the steps before pause_at in its stage
    window_from = None if pause_at is None else max(pause_at - PICK_WINDOW, pause_at - (coarse_steps or quarter_steps))
    for end in sorted({b for b in (quarter_steps, fine_from, noise_from) if 0 < b < iters} | {iters}):  # runs of
        # identical steps; the noisy ones draw from their own generator and run eagerly
        if restore_db is not None and 0 < step < iters and step in (quarter_steps, fine_from):
            ended = level(step - 1)
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16_at[ended]):
                last = per_image_mse(model, targets[ended], transform, coarse=ended).double()
            _restore_best(model, best, best_loss, last, restore_db, batched)
        graph, capture = None, graphs and end - step >= MIN_GRAPH_STEPS and step < noise_from
        side = torch.cuda.Stream() if capture else None
        if capture:
            side.wait_stream(torch.cuda.current_stream())
        warm_end = step + GRAPH_WARMUP
        while step < end:
            if capture and step == warm_end:
                torch.cuda.current_stream().wait_stream(side)
                graph, values = capture_step(opt, lambda: step_body(step))
                capture = graph is not None
            with torch.cuda.stream(side) if capture and graph is None else contextlib.nullcontext():
                if graphs:
                    for group in opt.param_groups:
                        group["lr"].fill_(lr * group["gain"] * lr_factor(step))
                if l1_now is not None:
                    l1_now.fill_(weight_l1 + (l1_end - weight_l1) * step / max(1, iters - 1))
                if graph is not None:
                    graph.replay()
                else:
                    opt.zero_grad(set_to_none=True)
                    values = step_body(step)
                    if sched is not None:
                        sched.step()
            if capture and graph is None:
                torch.cuda.current_stream().wait_stream(side)
            report(step, values)
            if pause_at is not None and window_from <= step < pause_at:
                window = torch.minimum(window, values)
            step += 1
        del graph
        if step == pause_at:
            yield window
    with torch.no_grad():
        if jitter:
            model.z.copy_(clean_z)
        last = per_image_mse(model, target, transform).double()
    # the last update was never evaluated: keep it where it is better, else restore the best
    worse = last >= best_loss
    _copy_where(dict(model.weights), best, worse, batched)
    return torch.where(worse, best_loss, last).cpu()


def _restore_best(model: torch.nn.Module, best: dict, best_loss: torch.Tensor, last: torch.Tensor, db: float,
                  batched: bool) -> None:
    """Where the stage that just ended left a network more than ``db`` dB under its best iterate (its last update's loss
    is ``last``), start the next stage from that best iterate; then judge the next stage afresh.

    A reduced-size stage can end in a collapse: at 768x512, 0.5 bpp (width 66), kodim11's half-size stage fell from
    32.0 to 23.0 dB fifty steps before its end with a peak lr of 0.045, and the full-size fit that went on from there
    ended 1.4 dB under the 0.06 fit's (RESULTS.md, "Each stage from its best iterate")."""
    _copy_where(dict(model.weights), best, last > best_loss * 10 ** (db / 10), batched)
    best_loss.fill_(math.inf)


def capture_step(opt: torch.optim.Optimizer, body: Callable[[], torch.Tensor]):
    """(graph, its output) of one step, or (None, None) where capturing failed (the fit goes on
    step by step). Capturing runs nothing: the step is done by the first replay."""
    opt.zero_grad(set_to_none=True)  # the graph allocates the gradients it writes on every replay
    graph = torch.cuda.CUDAGraph()
    try:
        with torch.cuda.graph(graph):
            values = body()
    except RuntimeError as exc:
        warnings.warn(f"CUDA graph capture failed, fitting step by step ({exc})", RuntimeWarning)
        return None, None
    return graph, values


LevelsFor = Callable[[int, dict[str, torch.Tensor]], int]  # (network index, its weights) -> its largest code


def fit(model: DeepDecoder | BatchedDeepDecoder, target: torch.Tensor, schedule: FitSchedule, bits: int,
        progress: Optional[Progress] = None, levels_for: Optional[LevelsFor] = None) -> list[float]:
    """Fit ``model`` to ``target`` (B, C, H, W) in [0, 1] in place, ready to be quantised to ``bits``.

    ``levels_for``, asked once per network when the float fit is done, picks the largest code its rounding and
    fine-tune use (``quant``'s ``levels``; by default ``qmax(bits)``): rate control trims a file that the float
    weights show will come out over its target (``codec``). Returns each image's PSNR of the float network before
    quantisation (unrounded output), so the caller can report what quantisation cost.
    """
    with tf32_matmuls(True):
        return _fit(model, target, schedule, bits, progress, levels_for)


@contextlib.contextmanager
def _scales_fixed(model: torch.nn.Module, fixed: bool):
    """With ``fixed``, the normalisations' scales take no gradient (Adam skips them) inside the block."""
    scales = [p for n, p in model.weights.items() if n.startswith("scale")] if fixed else []
    for p in scales:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in scales:
            p.requires_grad_(True)


def _fit(model: DeepDecoder | BatchedDeepDecoder, target: torch.Tensor, schedule: FitSchedule, bits: int,
         progress: Optional[Progress], levels_for: Optional[LevelsFor] = None) -> list[float]:
    float_mse = _main_fit(model, target, schedule, progress, bits)
    return _quantise_and_tune(model, target, schedule, bits, progress, levels_for, float_mse)


def _quantise_and_tune(model: DeepDecoder | BatchedDeepDecoder, target: torch.Tensor, schedule: FitSchedule, bits: int,
                       progress: Optional[Progress], levels_for: Optional[LevelsFor],
                       float_mse: torch.Tensor) -> list[float]:
    """After the main fit: the levels, the rounding stages, the fine-tune; each image's float PSNR (``fit``'s)."""
    levels = [qmax(bits) if levels_for is None else levels_for(index, weights)
              for index, (_, weights) in enumerate(networks(model))]
    if schedule.progressive_for(bits)[0]:
        _progressive_rounding(model, target, schedule, bits, progress, levels)
    elif schedule.hessian_round:
        hessian_round(model, bits, levels)
    _fine_tune(model, target, schedule, quantiser(bits, levels), progress, bits=bits)
    return [psnr_from_mse(float(m)) for m in float_mse]


def quantiser(bits: int, levels: list[int]) -> Transform | list[Transform]:
    """``fake_quant`` at ``bits`` as a model's transform: one per network where their ``levels`` differ."""
    transforms = [functools.partial(fake_quant, bits=bits, levels=m) for m in levels]
    return transforms[0] if len(set(levels)) == 1 else transforms


def total_steps(schedule: FitSchedule, depth: int, bits: int = DEFAULT_BITS, tries: int = 1) -> int:
    """Every step a fit of a ``depth``-layer network at ``bits`` takes: main fit, progressive rounding's stages,
    fine-tune; with ``tries`` seeds (``fit_best_seed``), the other seeds' reduced-size stages too."""
    extra = (tries - 1) * (seed_pick_step(schedule) or 0)
    return schedule.iters + depth * schedule.progressive_for(bits)[0] + max(1, schedule.qat_iters) + extra


def _progressive_rounding(model: DeepDecoder | BatchedDeepDecoder, target: torch.Tensor, schedule: FitSchedule,
                          bits: int, progress: Optional[Progress] = None, levels: Optional[list[int]] = None) -> None:
    """``FitSchedule.progressive_for(bits)``: round layer by layer (each network of a batch on its own, in step), fitting
    the float layers above each rounded one. A rounded layer's weights stop taking gradients (Adam skips them), so
    the layers below the next one to round, and the inputs its rounding was computed from, stay as they are; their
    output is computed once per stage (``model.FrozenPrefix``). Each network's codes go up to its ``levels``."""
    depth = len(model.sizes)
    rounders = [round_layer_by_layer(z, weights, model.sizes, model.upsample, bits,
                                     None if levels is None else levels[index])
                for index, (z, weights) in enumerate(networks(model))]
    (steps, lr), frozen = schedule.progressive_for(bits), []
    total = total_steps(schedule, depth, bits)
    try:
        for layer in range(depth + 1):
            for rounder in rounders:
                next(rounder)
            names = (f"conv{layer}", f"dw{layer}", f"scale{layer}", f"shift{layer}") if layer < depth else ("out",)
            for p in (model.weights[n] for n in names if n in model.weights):
                p.requires_grad_(False)
                frozen.append(p)
            if layer < depth:
                model.frozen.hold(layer + 1)  # the rounded layers' output is computed once per stage
                with _scales_fixed(model, schedule.fixed_scale):
                    _run_phase(model, target, steps, lr, lambda s: _cosine(s, steps), None,
                               progress, schedule.iters + layer * steps, total, weight_l1=schedule.final_weight_l1,
                               bf16=_bf16_wanted(schedule.qat_bf16, target), out_gain=schedule.out_gain,
                               **_penalty_rule(schedule))
    finally:
        model.frozen.hold(0)
        for p in frozen:
            p.requires_grad_(True)


def _main_fit(model: DeepDecoder | BatchedDeepDecoder, target: torch.Tensor, schedule: FitSchedule,
              progress: Optional[Progress] = None, bits: int = DEFAULT_BITS) -> torch.Tensor:
    """The fit before quantisation (one-cycle schedule); returns each image's MSE of the float network. ``bits``, the
    precision the fit ends at, only sets the step count its progress reports count to."""
    return _finish_phase(_main_fit_steps(model, target, schedule, progress, bits))


def _main_fit_steps(model: DeepDecoder | BatchedDeepDecoder, target: torch.Tensor, schedule: FitSchedule,
                    progress: Optional[Progress] = None, bits: int = DEFAULT_BITS,
                    pause: bool = False) -> Generator[torch.Tensor, None, torch.Tensor]:
    """``_main_fit`` as a ``_phase_steps`` generator; with ``pause``, paused at ``seed_pick_step``."""
    quarter_steps, coarse_steps = _reduced_stage_steps(schedule)
    with _scales_fixed(model, schedule.fixed_scale):
        return (yield from _phase_steps(
            model, target, schedule.iters, schedule.lr, lambda s: _one_cycle(s, schedule.iters, schedule.warmup), None,
            progress, 0, total_steps(schedule, len(model.sizes), bits),
            _row_sampler(target.shape[2], schedule.row_fraction, target.device), coarse_steps, schedule.input_jitter,
            schedule.weight_l1, bf16=_bf16_wanted(schedule.bf16, target), quarter_steps=quarter_steps,
            beta2=schedule.beta2, beta1=schedule.beta1, noise_steps=round(schedule.iters * schedule.quant_noise),
            noise_bits=bits, noise_scale=schedule.quant_noise_scale, restore_db=schedule.stage_restore_db,
            pause_at=seed_pick_step(schedule) if pause else None, out_gain=schedule.out_gain,
            l1_end=schedule.weight_l1_end, **_penalty_rule(schedule)))


def _penalty_rule(schedule: FitSchedule) -> dict:
    """``_phase_steps``' arguments for a penalty whose strength follows each network's MSE (``l1_ref_db``); none
    without."""
    if schedule.l1_ref_db is None:
        return {}
    return {"l1_ref_mse": 10 ** (-schedule.l1_ref_db / 10), "l1_floor": schedule.l1_floor}


def _reduced_stage_steps(schedule: FitSchedule) -> tuple[int, int]:
    """The main fit's quarter-size and half-size steps."""
    return round(schedule.iters * schedule.quarter_fraction), round(schedule.iters * schedule.coarse_fraction)


def seed_pick_step(schedule: FitSchedule) -> Optional[int]:
    """The main-fit step where ``fit_best_seed`` compares its seeds: the first full-size one, after the quarter- and
    half-size stages; None where the schedule has no reduced-size stage (or nothing after it)."""
    first_full = sum(_reduced_stage_steps(schedule))
    return first_full if 0 < first_full < schedule.iters else None


def fit_best_seed(models: list[DeepDecoder], target: torch.Tensor, schedule: FitSchedule, bits: int,
                  progress: Optional[Progress] = None, levels_for: Optional[LevelsFor] = None) -> tuple[int, float]:
    """Fit each of ``models`` (one image, different seeds) through the main fit's reduced-size stages, one after
    another, then finish only the one whose half-size stage ended best (its lowest loss over the stage's last
    ``PICK_WINDOW`` steps); returns its index and its float PSNR (``fit``'s; ``levels_for`` is asked with that
    index). The finished network is in the state a plain ``fit`` of it alone leaves, bit for bit on a CPU: the others
    only cost their reduced-size stages.

    Why: a fit's outcome varies with its seed (0.29 dB between the best and worst of four at 384x256 and 0.25 bpp,
    0.08 at 768x512), the reduced-size stages are cheap (about a fifth of a default encode), and at 384x256 they rank
    the seeds nearly as the finished files do (RESULTS.md, "Trying seeds"). Progress counts every seed's stages. The
    schedule must have reduced-size stages (``seed_pick_step``)."""
    pick = seed_pick_step(schedule)
    if pick is None:
        raise ValueError("fit_best_seed needs a schedule with a reduced-size stage")
    total = total_steps(schedule, len(models[0].sizes), bits, len(models))
    offset = [0]  # steps of the seeds fitted before the one running now
    shifted = None if progress is None else (lambda done, _, psnr: progress(offset[0] + done, total, psnr))
    with tf32_matmuls(True):
        runs, ends = [], []
        for index, model in enumerate(models):
            offset[0] = index * pick
            runs.append(_main_fit_steps(model, target, schedule, shifted, bits, pause=True))
            ends.append(float(next(runs[-1])[0]))
        best = min(range(len(models)), key=ends.__getitem__)
        for index, run in enumerate(runs):
            if index != best:
                run.close()
        offset[0] = (len(models) - 1) * pick
        float_mse = _finish_phase(runs[best])
        chosen_levels = None if levels_for is None else (lambda _, weights: levels_for(best, weights))
        return best, _quantise_and_tune(models[best], target, schedule, bits, shifted, chosen_levels, float_mse)[0]


def _fine_tune(model: DeepDecoder | BatchedDeepDecoder, target: torch.Tensor, schedule: FitSchedule,
               transform: Callable[[str, torch.Tensor], torch.Tensor], progress: Optional[Progress] = None,
               steps: Optional[int] = None, lr: Optional[float] = None, bits: int = DEFAULT_BITS) -> None:
    """The quantisation-aware fine-tune through ``transform`` (fake quantisation), cosine decay from the schedule's
    learning rate over its steps; ``steps`` and ``lr`` override them (samples/perf-cpu/quant_loss_split.py); ``bits``
    only places its steps in the progress count."""
    steps = schedule.qat_iters if steps is None else steps
    with _scales_fixed(model, schedule.fixed_scale):
        done = total_steps(schedule, len(model.sizes), bits) - max(1, schedule.qat_iters)  # main fit and stages
        _run_phase(model, target, max(1, steps), schedule.qat_lr if lr is None else lr,
                   lambda s: _cosine(s, steps), transform, progress, done, done + max(1, steps),
                   weight_l1=schedule.final_weight_l1 if schedule.qat_weight_l1 is None else schedule.qat_weight_l1,
                   bf16=_bf16_wanted(schedule.qat_bf16, target), out_gain=schedule.out_gain, **_penalty_rule(schedule))
