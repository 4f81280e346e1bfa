"""The encoder's fitting loop: fit the float network, then fine-tune it quantisation-aware.

Phase 1 fits the float network with Adam and a one-cycle schedule (linear warm-up, cosine
decay), which DESIGN.md section 2 measured as better than a plain cosine. Phase 2 keeps
the channel normalisation live and fine-tunes through ``fake_quant`` with straight-through
gradients, so the weights settle where rounding them costs little. Both phases keep the
best iterate seen; the second phase's first step is plain post-training quantisation, so
fine-tuning can only improve on it.
"""
from __future__ import annotations

import ctypes
import math
import sys
from typing import Callable, Optional

import torch
import torch.nn.functional as F

from .model import DeepDecoder
from .presets import FitSchedule
from .quant import fake_quant

Progress = Callable[[int, int, float], None]  # (iterations done, total, current PSNR dB)


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
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    libc.mallopt(m_mmap_threshold, 1 << 30)
    libc.mallopt(m_trim_threshold, 1 << 34)
    libc.mallopt(m_top_pad, 1 << 28)


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


def _run_phase(model: DeepDecoder, target: torch.Tensor, iters: int, lr: float,
               lr_factor: Callable[[int], float], transform, progress: Optional[Progress],
               done: int, total: int) -> float:
    """Adam for ``iters`` steps; leaves the model at the best iterate seen and returns its MSE."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    best_loss = math.inf
    best = {n: p.detach().clone() for n, p in model.weights.items()}
    for step in range(iters):
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(transform), target)
        value = loss.item()
        if value < best_loss:
            best_loss = value
            for n, p in model.weights.items():
                best[n].copy_(p.detach())
        loss.backward()
        opt.step()
        sched.step()
        if progress is not None:
            progress(done + step + 1, total, psnr_from_mse(best_loss))
    with torch.no_grad():
        last = F.mse_loss(model(transform), target).item()
        if last < best_loss:  # the last update was never evaluated: keep it only if it is better
            return last
        for n, p in model.weights.items():
            p.copy_(best[n])
    return best_loss


def fit(model: DeepDecoder, target: torch.Tensor, schedule: FitSchedule, bits: int,
        progress: Optional[Progress] = None) -> float:
    """Fit ``model`` to ``target`` (1, C, H, W) in [0, 1] in place, ready to be quantised to ``bits``.

    Returns the PSNR of the float network before quantisation (unrounded output), so the
    caller can report what quantisation cost.
    """
    total = schedule.iters + schedule.qat_iters
    float_mse = _run_phase(model, target, schedule.iters, schedule.lr,
                           lambda s: _one_cycle(s, schedule.iters, schedule.warmup), None, progress, 0, total)

    def quantised(name: str, w: torch.Tensor) -> torch.Tensor:
        return fake_quant(name, w, bits)

    _run_phase(model, target, max(1, schedule.qat_iters), schedule.qat_lr,
               lambda s: _cosine(s, schedule.qat_iters), quantised, progress,
               schedule.iters, total)
    return psnr_from_mse(float_mse)
