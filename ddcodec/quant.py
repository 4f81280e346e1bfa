"""Weight quantisation, scheme "rownorm-v1".

The model uses every hidden 1x1 conv with its rows scaled to max-abs 1 (``unit_rows``),
so a row's own scale never reaches the output; so does every depthwise kernel (format version 2),
a row of 9 taps per channel. Each hidden conv row is therefore
quantised against its own max-abs and dequantised as ``q / qmax``: per-channel
precision whose scales cost nothing, because they are never stored. (Relying on the
normalisation alone to absorb the scale is not exact: its epsilon made post-training
quantisation lose 2 dB even at 12 bits.) The output conv (no normalisation
after it) has one stored step per row; each norm scale and shift has one stored step.

``fake_quant`` (training, straight-through gradients) and ``quantize``/``dequantize``
(the file) compute the same float32 values, so quantisation-aware fine-tuning sees the
network the decoder will run.

Every function that rounds takes ``levels``, the largest code it may write (default ``qmax(bits)``): fewer levels
are coarser steps in a file of the same precision, a rate knob finer than a width or a bit (rate control's trim,
``codec``). The decoder needs nothing new: a hidden row whose largest code is ``levels`` dequantises to max-abs
``levels / qmax`` and is used as a unit row; a stored step is the step.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from .format import qmax, weight_shapes
from .model import unit_rows

_TINY = 1e-12


def _is_rownorm(name: str) -> bool:
    return name.startswith(("conv", "dw"))


def _levels(bits: int, levels: Optional[int]) -> int:
    return qmax(bits) if levels is None else levels


def _steps_of(name: str, w: torch.Tensor, bits: int, levels: Optional[int] = None) -> torch.Tensor:
    """Stored steps of a non-rownorm tensor, shaped to broadcast against it. The shifts' and the output conv's are
    rounded up to bfloat16 values (8 significant bits: at most 0.8% coarser), which format version 4 stores in two
    bytes each; the scales' are not (version 4 stores the fixed scales' one step as it is)."""
    m = _levels(bits, levels)
    if name == "out":
        return _bfloat16_ceil(w.detach().abs().amax(dim=1, keepdim=True).clamp_min(_TINY) / m)
    step = (w.detach().abs().amax().clamp_min(_TINY) / m).reshape(1)
    return _bfloat16_ceil(step) if name.startswith("shift") else step


def _bfloat16_ceil(step: torch.Tensor) -> torch.Tensor:
    """The smallest bfloat16 value at or above each (positive, finite) step, in the step's dtype: a float32 whose low
    16 bits are zero (``format.is_bfloat16``)."""
    bits = step.float().view(torch.int32)
    return ((bits + 0xFFFF) & ~0xFFFF).view(torch.float32).to(step.dtype)


def fake_quant(name: str, w: torch.Tensor, bits: int, levels: Optional[int] = None) -> torch.Tensor:
    """Quantise-dequantise ``w`` in the forward pass, identity gradient (straight-through). With fewer ``levels``
    than ``qmax(bits)`` a hidden row comes out as ``dequantize`` gives it (max-abs ``levels / qmax``), which the
    model's ``unit_rows`` then scales as the decoder's does, to the same float32 values."""
    m = _levels(bits, levels)
    if _is_rownorm(name):  # at every level (m / qmax = 1) exactly the unit rows of codes / qmax
        scaled = unit_rows(w)
        shrunk = scaled * (m / qmax(bits))
        return shrunk + ((torch.round(scaled * m) / qmax(bits)) - shrunk).detach()
    step = _steps_of(name, w, bits, m)
    return w + (torch.clamp(torch.round(w / step), -m, m) * step - w).detach()


def noise_quant(name: str, w: torch.Tensor, bits: int, generator: torch.Generator, scale: float = 1.0) -> torch.Tensor:
    """``w`` plus uniform noise of ``scale`` rounding steps (of ``fake_quant``'s steps at ``bits``), a differentiable stand-in
    for rounding: fitted through it, weights settle where rounding costs little (additive-noise training, as learnt
    image codecs do). Hidden convs and kernels take the noise in unit-row form."""
    base = unit_rows(w) if _is_rownorm(name) else w
    step = 1.0 / qmax(bits) if _is_rownorm(name) else _steps_of(name, w, bits)
    noise = torch.rand(base.shape, generator=generator, device=base.device, dtype=base.dtype) - 0.5
    return base + noise * (step * scale)


def quantize(weights: dict[str, torch.Tensor], bits: int, net_width: int, depth: int,
             channels: int, depthwise: int = 0, levels: Optional[int] = None) -> tuple[np.ndarray, tuple[float, ...]]:
    """Integers in ``weight_shapes`` order (flat int64) and the stored steps (header order); codes up to
    ``levels`` (default ``qmax(bits)``)."""
    m = _levels(bits, levels)
    ints: list[np.ndarray] = []
    steps: dict[str, torch.Tensor] = {}
    for name, _ in weight_shapes(net_width, depth, channels, depthwise):
        w = weights[name].detach().float().cpu()
        if _is_rownorm(name):
            q = torch.round(unit_rows(w) * m)
        else:
            steps[name] = _steps_of(name, w, bits, m)
            q = torch.clamp(torch.round(w / steps[name]), -m, m)
        ints.append(q.to(torch.int64).numpy().ravel())
    ordered = [steps[f"{kind}{i}"] for i in range(depth) for kind in ("scale", "shift")]
    ordered.append(steps["out"])
    flat_steps = torch.cat([s.ravel() for s in ordered]).tolist()
    return np.concatenate(ints), tuple(flat_steps)


def dequantize(q: np.ndarray, steps: tuple[float, ...], bits: int, net_width: int, depth: int,
               channels: int, depthwise: int = 0, widths: tuple[int, ...] = ()) -> dict[str, torch.Tensor]:
    """float32 weights for ``DeepDecoder`` from the integers and steps of a file."""
    m = qmax(bits)
    step_arr = np.asarray(steps, np.float32)
    out: dict[str, torch.Tensor] = {}
    pos = 0
    for name, shape in weight_shapes(net_width, depth, channels, depthwise, widths):
        n = int(np.prod(shape))
        qi = torch.from_numpy(q[pos : pos + n].astype(np.float32).reshape(shape))
        pos += n
        if _is_rownorm(name):
            out[name] = torch.round(qi) / m
        elif name == "out":
            out[name] = qi * torch.from_numpy(step_arr[2 * depth :].reshape(channels, 1))
        else:
            layer, which = int(name[5:]), 0 if name.startswith("scale") else 1
            out[name] = qi * torch.tensor(step_arr[2 * layer + which])
    return out
