"""Step-time variants on the GPU: layout (channels-last vs NCHW) x normalisation (cuDNN vs hand-written)."""
import sys, time, json
import torch
import torch.nn.functional as F
import ddcodec.model as M
from ddcodec import stepbench as S
from ddcodec.fit import GRAPH_WARMUP, capture_step

EPS = M.NORM_EPS

class ChannelNormFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, g, b):
        var, mean = torch.var_mean(x, dim=(0, 2, 3), unbiased=False)
        rstd = torch.rsqrt(var + EPS)
        a = g * rstd
        c = b - mean * a
        ctx.save_for_backward(x, mean, rstd, g)
        return torch.addcmul(c[None, :, None, None], x, a[None, :, None, None])
    @staticmethod
    def backward(ctx, dy):
        x, mean, rstd, g = ctx.saved_tensors
        n = x.numel() // x.shape[1]
        sdy = dy.sum(dim=(0, 2, 3))
        sdyx = (dy * x).sum(dim=(0, 2, 3))
        sdyxhat = (sdyx - mean * sdy) * rstd
        a = g * rstd
        k1 = -(a / n) * sdyxhat * rstd
        k0 = -(a / n) * sdy - k1 * mean
        dx = torch.addcmul(k0[None, :, None, None], dy, a[None, :, None, None])
        dx.addcmul_(x, k1[None, :, None, None])
        return dx, sdyxhat, sdy

def manual_norm(x, scale, shift):
    return ChannelNormFn.apply(x, scale, shift)

ORIG_NORM = M.channel_norm
ORIG_MT = S._model_and_target

def setup(layout, norm):
    M.channel_norm = ORIG_NORM if norm == "cudnn" else manual_norm
    def mt(*a, **k):
        model, target = ORIG_MT(*a, **k)
        if layout == "nchw":
            model.z = model.z.contiguous()
        return model, target
    S._model_and_target = mt

def check_grad():
    torch.manual_seed(0)
    x = torch.randn(1, 77, 64, 96, device="cuda", dtype=torch.float64, requires_grad=True)
    g = torch.rand(77, device="cuda", dtype=torch.float64, requires_grad=True)
    b = torch.randn(77, device="cuda", dtype=torch.float64, requires_grad=True)
    dy = torch.randn(1, 77, 64, 96, device="cuda", dtype=torch.float64)
    y1 = F.batch_norm(x, None, None, g, b, training=True, eps=EPS); gr1 = torch.autograd.grad(y1, (x, g, b), dy)
    y2 = manual_norm(x, g, b); gr2 = torch.autograd.grad(y2, (x, g, b), dy)
    print("manual BN check: y", (y1 - y2).abs().max().item(), "grads", [(p - q).abs().max().item() for p, q in zip(gr1, gr2)])

if __name__ == "__main__":
    check_grad()
    H, W = 512, 768
    rows = []
    for layout in ("cl", "nchw"):
        for norm in ("cudnn", "manual"):
            setup(layout, norm)
            for w in (33, 77):
                for coarse in (False, True):
                    ms = S.graphed_ms(H, W, w, 100, coarse=coarse)
                    rows.append((layout, norm, w, "half" if coarse else "full", 1, ms))
                    print(f"{layout:5} {norm:7} w{w} {'half' if coarse else 'full'}  graph {ms:7.3f} ms", flush=True)
            for batch in (8,):
                ms = S.graphed_ms(H, W, 77, 30, batch=batch) / batch
                rows.append((layout, norm, 77, "full", batch, ms))
                print(f"{layout:5} {norm:7} w77 full batch{batch} graph {ms:7.3f} ms/img", flush=True)
                ms = S.graphed_ms(H, W, 77, 30, batch=batch, coarse=True) / batch
                rows.append((layout, norm, 77, "half", batch, ms))
                print(f"{layout:5} {norm:7} w77 half batch{batch} graph {ms:7.3f} ms/img", flush=True)
    json.dump(rows, open(sys.argv[1], "w"))
    for layout, norm in (("nchw", "cudnn"), ("nchw", "manual")):
        setup(layout, norm)
        print(f"--- profile {layout} {norm} w77 full")
        print(S.profile_table(H, W, 77, rows=12))
