"""One full-size layer (77 channels, 768x512) forward + backward on 2 CPU threads in six layouts (session 15).
Run: PYTHONPATH=. OMP_NUM_THREADS=2 python samples/perf-cpu/fit_layout_variants.py"""
import torch, time, torch.nn.functional as F
torch.set_num_threads(2)
from ddcodec.fit import tune_allocator
tune_allocator()
from ddcodec.model import _ChannelNorm, NORM_EPS
C, H, W = 77, 512, 768
torch.manual_seed(0)
x0 = torch.rand(1, C, H, W)
w = (torch.rand(C, C) - 0.5).requires_grad_()
g = torch.ones(C, requires_grad=True); b = torch.zeros(C, requires_grad=True)
def bn(x): return F.batch_norm(x, None, None, g, b, training=True, momentum=0.0, eps=NORM_EPS)
def cn(x): return _ChannelNorm.apply(x, g, b)
def conv_cl(x): return F.conv2d(x, w.view(C, C, 1, 1))
def mm_cl(x):
    n, c, h, ww = x.shape
    return (x.permute(0, 2, 3, 1).reshape(-1, c) @ w.t()).view(n, h, ww, -1).permute(0, 3, 1, 2)
def mm_nchw(x):
    n, c, h, ww = x.shape
    return (w @ x.view(c, -1)).view(n, -1, h, ww)
variants = {
  "cl conv + bn": (torch.channels_last, conv_cl, bn),
  "cl mm + bn": (torch.channels_last, mm_cl, bn),
  "cl mm + manual": (torch.channels_last, mm_cl, cn),
  "cl conv + manual": (torch.channels_last, conv_cl, cn),
  "nchw mm + bn": (torch.contiguous_format, mm_nchw, bn),
  "nchw mm + manual": (torch.contiguous_format, mm_nchw, cn),
}
import sys
for name, (fmt, conv, norm) in variants.items():
    x = x0.contiguous(memory_format=fmt).requires_grad_()
    dy = torch.rand(1, C, H, W).contiguous(memory_format=fmt)
    def f():
        y = norm(F.relu(conv(x)))
        y.backward(dy)
    f(); f()
    ts = []
    for _ in range(4):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    print(f"{name:20} {1000*min(ts):7.1f} ms  (median {1000*sorted(ts)[2]:.1f})", flush=True)
