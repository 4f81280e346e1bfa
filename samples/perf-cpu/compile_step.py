"""Session 22: does torch.compile (inductor, CPU) make a fitting step faster? One step is the loss, its backward
and Adam, on a random image; eager and compiled networks (same initial weights) alternate in rounds of five steps.

    python samples/perf-cpu/compile_step.py THREADS HEIGHT WIDTH plain|dw      (output in compile_step.txt)

"dw" gives the network depthwise kernels (the default since 1.4.0); "plain" none."""
import sys, time, torch, torch.nn.functional as F
from ddcodec import format as fmt
from ddcodec.codec import choose_net_width
from ddcodec.model import DeepDecoder
torch.set_num_threads(int(sys.argv[1]))
H, W = int(sys.argv[2]), int(sys.argv[3])
mask = fmt.all_layers(6) if sys.argv[4] == "dw" else 0
nw = choose_net_width(H, W, 3, 32, 6, mask)
torch.manual_seed(0)
target = torch.rand(1, 3, H, W).contiguous(memory_format=torch.channels_last)
def make():
    m = DeepDecoder(H, W, 3, nw, 6, 0, depthwise=mask)
    return m, torch.optim.Adam(m.parameters(), lr=0.01)
def loss_fn(m):
    return F.mse_loss(m(), target)
eager_m, eager_o = make()
comp_m, comp_o = make()
compiled = torch.compile(loss_fn)
def step(m, o, f):
    o.zero_grad(set_to_none=True); l = f(m); l.backward(); o.step(); return float(l)
t = time.perf_counter(); step(comp_m, comp_o, compiled); print(f"width {nw}; compile+first step {time.perf_counter()-t:.1f}s", flush=True)
for r in range(3):
    for label, m, o, f in (("eager", eager_m, eager_o, loss_fn), ("compiled", comp_m, comp_o, compiled)):
        t = time.perf_counter()
        for _ in range(5): l = step(m, o, f)
        print(f"round {r} {label:8s} {(time.perf_counter()-t)/5*1000:.0f} ms/step loss {l:.5f}", flush=True)
