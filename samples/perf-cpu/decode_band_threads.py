"""Session 21: bands run side by side on Python threads (one torch thread each) against torch's own threads.

Apply decode_band_threads.diff first (git apply samples/perf-cpu/decode_band_threads.diff), then
python samples/perf-cpu/decode_band_threads.py: four rounds, each the median of 5 decodes of the synthetic
768x512 k=32 file with and without kernels, with the band workers limited to 1 (torch's 2 threads) or 2
(one torch thread each). Output in decode_band_threads.txt. Not kept: slower."""
import time, torch, sys, statistics
from ddcodec import codec, render
from ddcodec.model import DeepDecoder
orig=render._each_band
def synth(mode):
    w,b,m=codec.plan_network(512,768,3,32.0,depthwise=mode)
    model=DeepDecoder(512,768,3,w,6,0,depthwise=m)
    return codec.pack(dict(model.weights),512,768,3,w,b,0,32.0,depthwise=m)
files={m:synth(m) for m in ('on','off')}
torch.set_num_threads(2)
res={}
for r in range(4):
    for m in ('on','off'):
        for wk in (1,2):
            render._each_band=lambda body,starts,workers,rounds=False: orig(body,starts,min(workers,wk),rounds)
            codec.decode_pixels(files[m],'cpu')
            ts=[]
            for _ in range(5):
                s=time.perf_counter(); codec.decode_pixels(files[m],'cpu'); ts.append(time.perf_counter()-s)
            res.setdefault((m,wk),[]).append(statistics.median(ts)*1e3)
for k,v in res.items(): print(k, ' '.join('%.0f'%x for x in v))
