"""Batch-as-N layout: activations (B, C, H, W) contiguous, 1x1 convs as batched matmuls, the
normalisation over a (1, B*C, H, W) view (cuDNN) or hand-written. Against the current grouped-conv path."""
import sys, json
import torch
import torch.nn.functional as F
import ddcodec.model as M
from ddcodec import stepbench as S
sys.path.insert(0, ".gpu")
from variants import manual_norm, ORIG_NORM, setup  # runs variants' check only (guarded below)

ORIG_RUN = M.run_layers

def run_bmm(z, w, sizes, upsample, groups=1, rows=None, coarse=False, norm="cudnn"):
    x = z.reshape(groups, -1, *z.shape[2:]).contiguous()
    for i in range(len(sizes)):
        conv = M.unit_rows(w[f"conv{i}"])
        if conv.dim() == 2:
            conv = conv.unsqueeze(0)
        b, c = x.shape[:2]
        x = torch.matmul(conv, x.view(b, c, -1)).view(b, -1, *x.shape[2:])
        if i + 1 < len(sizes) and not (coarse and i + 2 == len(sizes)):
            x = F.interpolate(x, size=sizes[i + 1], mode=upsample, align_corners=False)
        x = F.relu(x)
        shp = x.shape
        flat = x.view(1, -1, *shp[2:])
        g, s = w[f"scale{i}"].reshape(-1), w[f"shift{i}"].reshape(-1)
        x = (F.batch_norm(flat, None, None, g, s, training=True, momentum=0.0, eps=M.NORM_EPS) if norm == "cudnn"
             else manual_norm(flat, g, s)).view(shp)
    out = w["out"]
    if out.dim() == 2:
        out = out.unsqueeze(0)
    b, c = x.shape[:2]
    return torch.sigmoid(torch.matmul(out, x.view(b, c, -1)).view(b, -1, *x.shape[2:]))

H, W = 512, 768
res = []
for tf32 in (False, True):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    for norm in ("cudnn", "manual"):
        setup("nchw", "cudnn")
        M.run_layers = lambda *a, norm=norm, **k: run_bmm(*a, norm=norm, **k)
        for w, batch in ((33, 1), (77, 1), (33, 8), (77, 8), (77, 4)):
            for coarse in (False, True):
                ms = S.graphed_ms(H, W, w, 60 if batch == 1 else 20, batch=batch, coarse=coarse) / batch
                res.append(("bmm", tf32, norm, w, batch, coarse, ms))
                print(f"bmm tf32={tf32:d} {norm:7} w{w} batch{batch} {'half' if coarse else 'full'}: {ms:7.3f} ms/img", flush=True)
json.dump(res, open(sys.argv[1], "w"))
torch.backends.cuda.matmul.allow_tf32 = False
setup("nchw", "cudnn")
M.run_layers = lambda *a, **k: run_bmm(*a, norm="cudnn", **k)
print("--- profile bmm cudnn w77 batch1 full")
print(S.profile_table(H, W, 77, rows=14))
