"""Session 17: where quantisation's cost comes from: a network fitted with the default schedule, rounded in parts
(post-training), then fine-tuned and rounded in parts again. Usage: python samples/perf-cpu/quant_diagnosis.py W H K BITS IMAGE... (Kodak names)."""
import sys, copy, math, torch
from PIL import Image
import numpy as np
from ddcodec import fit as F_
from ddcodec.model import DeepDecoder
from ddcodec.quant import fake_quant
from ddcodec.presets import PRESETS
from ddcodec.codec import choose_net_width
torch.set_num_threads(1)
size=(int(sys.argv[1]),int(sys.argv[2])); k=float(sys.argv[3]); bits=int(sys.argv[4])
sch=PRESETS["default"]
groups={"conv":lambda n:n.startswith("conv"),"norm":lambda n:n.startswith(("scale","shift")),"out":lambda n:n=="out","all":lambda n:True}
def psnr(model,t,transform):
    with torch.no_grad():
        return F_.psnr_from_mse(float(F_.per_image_mse(model,t,transform)[0]))
def tr(sel):
    return lambda n,w: fake_quant(n,w,bits) if sel(n) else w
for name in sys.argv[5:]:
    img=Image.open(f"../shared/data/kodak/{name}.png").convert("RGB").resize(size,Image.LANCZOS)
    px=np.asarray(img); H,W,C=px.shape
    t=torch.from_numpy(px.copy()).permute(2,0,1)[None].float()/255
    w=choose_net_width(H,W,C,k)
    m=DeepDecoder(H,W,C,w,6,0)
    it=sch.iters
    F_._run_phase(m,t,it,sch.lr,lambda s:F_._one_cycle(s,it,sch.warmup),None,None,0,it,None,round(it*sch.coarse_fraction),0.0,sch.weight_l1)
    row=[f"float {psnr(m,t,None):.2f}"]+[f"ptq-{g} {psnr(m,t,tr(s)):.2f}" for g,s in groups.items()]
    q=copy.deepcopy(m)
    F_._run_phase(q,t,sch.qat_iters,sch.qat_lr,lambda s:F_._cosine(s,sch.qat_iters),tr(groups["all"]),None,it,it,weight_l1=sch.weight_l1)
    row+=[f"qat-all {psnr(q,t,tr(groups['all'])):.2f}", f"qat,conv-only {psnr(q,t,tr(groups['conv'])):.2f}", f"qat,no-conv {psnr(q,t,lambda n,w: w if n.startswith('conv') else fake_quant(n,w,bits)):.2f}"]
    print(name,f"w={w} bits={bits}"," | ".join(row),flush=True)
