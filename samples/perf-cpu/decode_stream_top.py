"""A/B of the CPU decoder: the last conv's input (the largest upsampling) kept in memory, or streamed
(upsampled twice, band by band, never stored). One process, variants alternating per round.

    git apply samples/perf-cpu/decode_stream_top.diff   # the flag it compares (reverted: it did not pay)
    OMP_NUM_THREADS=2 python samples/perf-cpu/decode_stream_top.py [FILE.ddc ...]

Without files it uses the bench's synthetic 768x512 files at k=32 and k=64 (decode work does not
depend on the weights). Prints the median of 15 decodes per variant and round.
"""
import statistics
import sys
import time

import torch

from ddcodec import bench, format as fmt
from ddcodec.fit import tune_allocator
from ddcodec.quant import dequantize
from ddcodec.render import BandRenderer

tune_allocator()
files = {path: open(path, "rb").read() for path in sys.argv[1:]} or {
    f"synthetic 768x512 k={k}": bench.synthetic_file(768, 512, k) for k in (32, 64)}
cpu = torch.device("cpu")
for name, data in files.items():
    header, q = fmt.decode_file(data)

    def decode(stream: bool):
        weights = dequantize(q, header.steps, header.bits, header.net_width, header.depth, header.channels)
        with torch.no_grad():
            return BandRenderer(header.height, header.width, header.channels, header.net_width, header.depth,
                                header.seed, header.upsample_mode, weights, cpu, stream_top_input=stream).render()
    same = (decode(False) == decode(True)).all()
    for rnd in range(4):
        for stream in (False, True):
            times = []
            for _ in range(15):
                start = time.perf_counter()
                decode(stream)
                times.append(1000 * (time.perf_counter() - start))
            label = "streamed" if stream else "kept"
            print(f"{name}  round {rnd + 1}  {label:>8}  median {statistics.median(times):6.1f} ms  "
                  f"min {min(times):6.1f} ms  pixels identical {bool(same)}", flush=True)
