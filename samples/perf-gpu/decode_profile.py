"""Where a GPU decode's milliseconds go."""
import sys, time, cProfile, pstats, io
import torch
from ddcodec import codec
data = open(sys.argv[1], "rb").read()
for _ in range(5):
    codec.decode_pixels(data, "cuda")
torch.cuda.synchronize()
ts = []
for _ in range(30):
    t = time.perf_counter(); codec.decode_pixels(data, "cuda"); ts.append(1000 * (time.perf_counter() - t))
ts.sort(); print(f"decode ms: median {ts[15]:.2f} min {ts[0]:.2f}")
from ddcodec import format as fmt
from ddcodec.quant import dequantize
t = time.perf_counter()
for _ in range(30):
    header, q = fmt.decode_file(data)
print(f"parse+zstd ms {1000*(time.perf_counter()-t)/30:.2f}")
t = time.perf_counter()
for _ in range(30):
    w = dequantize(q, header.steps, header.bits, header.net_width, header.depth, header.channels)
print(f"dequantize ms {1000*(time.perf_counter()-t)/30:.2f}")
pr = cProfile.Profile(); pr.enable()
for _ in range(20):
    codec.decode_pixels(data, "cuda")
pr.disable(); s = io.StringIO(); pstats.Stats(pr, stream=s).sort_stats("tottime").print_stats(18); print(s.getvalue())
from torch.profiler import ProfilerActivity, profile
with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
    for _ in range(10):
        codec.decode_pixels(data, "cuda")
    torch.cuda.synchronize()
print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=20, max_name_column_width=50))
print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=12, max_name_column_width=50))
