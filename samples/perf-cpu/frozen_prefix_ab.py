"""Session 44: progressive rounding's stages with and without model.FrozenPrefix (the rounded layers' output
computed once per stage instead of every step), in float32 and in bfloat16 (FitSchedule.qat_bf16), at 768x512,
-k 32's network (width 72, kernels at every layer, 7 bits), on a random image from the same initial weights. Prints
each run's seconds, alternating, and whether the weights each pair ends with are bit-identical.

    python samples/perf-cpu/frozen_prefix_ab.py STEPS_PER_LAYER ROUNDS THREADS      (output in frozen_prefix_ab.txt)
"""
import sys
import time
from dataclasses import replace

import torch

from ddcodec import fit, model as model_module
from ddcodec.model import DeepDecoder
from ddcodec.presets import PRESETS

steps, rounds, threads = (int(a) for a in sys.argv[1:4])
torch.set_num_threads(threads)
fit.tune_allocator()
target = torch.rand(1, 3, 512, 768, generator=torch.Generator().manual_seed(0))
real_hold = model_module.FrozenPrefix.hold
ends = {}
for rnd in range(rounds):
    for held in (False, True):
        # without: every stage recomputes the rounded layers at every step, as before session 44
        model_module.FrozenPrefix.hold = real_hold if held else (lambda self, layers: real_hold(self, 0))
        for bf16 in (False, True):
            net = DeepDecoder(512, 768, 3, 72, 6, 0, depthwise=0b111111)
            schedule = replace(PRESETS["default"], iters=0, progressive_steps=steps, low_bits_progressive_steps=steps,
                               qat_bf16=bf16)
            start = time.perf_counter()
            with fit.tf32_matmuls(True):
                fit._progressive_rounding(net, target, schedule, 7)
            print(f"round {rnd}: {'stored prefix' if held else 'recomputed   '} "
                  f"{'bfloat16' if bf16 else 'float32 '}: {time.perf_counter() - start:6.1f} s", flush=True)
            ends[held, bf16] = {n: p.detach().clone() for n, p in net.weights.items()}
model_module.FrozenPrefix.hold = real_hold
for bf16 in (False, True):
    same = all(torch.equal(ends[False, bf16][n], w) for n, w in ends[True, bf16].items())
    print(f"{'bfloat16' if bf16 else 'float32'}: weights bit-identical with and without the stored prefix: {same}")
