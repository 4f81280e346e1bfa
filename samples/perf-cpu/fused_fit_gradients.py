"""Session 67: how close one fitting step's gradients come to exact arithmetic with the fit's C kernels of 1.38.0 (the
ReLU and normalisation, model._ReluNorm; the doubling, model._Doubling) and with torch's ops in their place: a
384x256 network (kodim01, kernels on every layer) fitted 60 float32 steps with torch's ops, then one step's gradients
each way against the same step in float64; per tensor the largest error relative to its largest gradient.

    OMP_NUM_THREADS=1 python samples/perf-cpu/fused_fit_gradients.py WIDTH [bf16]   (fused_fit_gradients.txt)
"""
import sys

import numpy as np
import torch
from PIL import Image

from ddcodec import format as fmt, model
from ddcodec.presets import DEFAULT_DEPTH

GATES = {"torch": (1 << 62, 1 << 62), "fused": (model.FUSED_NORM_MIN_VALUES, model.FUSED_DOUBLING_MIN_VALUES)}


def gates(name: str) -> None:
    model.FUSED_NORM_MIN_VALUES, model.FUSED_DOUBLING_MIN_VALUES = GATES[name]


torch.set_num_threads(1)
image = Image.open("../shared/data/kodak/kodim01.png").convert("RGB").resize((384, 256), Image.LANCZOS)
target = torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float() / 255
width, bf16 = int(sys.argv[1]), "bf16" in sys.argv[2:]
torch.manual_seed(0)
net = model.DeepDecoder(256, 384, 3, width, DEFAULT_DEPTH, 0, depthwise=fmt.all_layers(DEFAULT_DEPTH))
gates("torch")
opt = torch.optim.Adam(net.parameters(), lr=0.01)
for _ in range(60):
    opt.zero_grad()
    ((net() - target) ** 2).mean().backward()
    opt.step()
grads = {}
for name in GATES:
    gates(name)
    net.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        y = net()
    ((y.float() - target) ** 2).mean().backward()
    grads[name] = {n: p.grad.clone() for n, p in net.named_parameters() if p.grad is not None}
gates("torch")
net.double().zero_grad()
net.z = net.z.double()
((net() - target.double()) ** 2).mean().backward()
print(f"width {width}, {'bfloat16' if bf16 else 'float32'}: largest error / largest gradient, torch's ops | C kernels")
for n, p in net.named_parameters():
    scale = p.grad.abs().max()
    errors = [((grads[k][n].double() - p.grad).abs().max() / scale).item() for k in GATES]
    print(f"  {n:16s} {errors[0]:.2e} | {errors[1]:.2e}")
