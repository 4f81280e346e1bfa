"""Session 16: how many torch ops one step's weight_l1 penalty adds (forward and backward), as
``fit.weight_magnitude`` computes it (the six convs stacked) and layer by layer (its first version).
Counts torch's profiler aten events on the CPU for a width-16 network, all of them and those that
compute (neither views, allocations nor dispatch wrappers): each computing op is a kernel on a GPU.

    python samples/perf-cpu/weight_penalty_ops.py
"""
from collections import Counter

import torch
from torch.profiler import ProfilerActivity, profile

from ddcodec.fit import weight_magnitude
from ddcodec.model import DeepDecoder, unit_rows

NO_COMPUTE = {"aten::as_strided", "aten::select", "aten::empty_strided", "aten::empty", "aten::expand",
              "aten::unsqueeze", "aten::view", "aten::detach", "aten::to", "aten::_to_copy", "aten::empty_like",
              "aten::ones_like", "aten::cat", "aten::t", "aten::slice", "aten::reshape", "aten::alias"}


def layer_by_layer(model: torch.nn.Module) -> torch.Tensor:
    return sum(unit_rows(p).abs().mean(dim=(-2, -1)).sum() for n, p in model.weights.items() if n.startswith("conv"))


for name, penalty in (("stacked (fit.weight_magnitude)", weight_magnitude), ("layer by layer", layer_by_layer)):
    model = DeepDecoder(64, 64, 3, 16, 6, 0)
    penalty(model).backward()  # gradients exist, as in a fit step
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        (3e-4 * penalty(model)).backward()
    ops = Counter(e.name for e in prof.events() if e.name.startswith("aten::"))
    compute = {k: v for k, v in ops.items() if k not in NO_COMPUTE}
    print(f"{name}: {sum(ops.values())} aten events, {sum(compute.values())} computing: {dict(compute)}")
