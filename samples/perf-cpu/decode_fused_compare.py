"""Session 66: the CPU decode with the fused C kernels (ddcodec/fused.py) against torch's ops (DDCODEC_FUSED=0),
each in fresh processes, alternating, so the VM's drift falls on both alike. Each process is the decode benchmark
(`python -m ddcodec.bench --decode-only`: a synthetic file planned as `encode -k K` plans it, decoded 15 times).

    OMP_NUM_THREADS=2 python samples/perf-cpu/decode_fused_compare.py [ROUNDS] [SIZE] [K] > decode_fused_compare.txt

Prints each process's median and first decode, then the median over processes of each. This VM's 2 cores run in
a fast or a slow mode, for minutes at a time (the same process takes 1.6 to 1.8 times as long in the slow one; seen
in sessions 62 to 66), so the per-process lines are kept: compare processes of one mode.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 6
size = sys.argv[2] if len(sys.argv) > 2 else "768x512"
k = sys.argv[3] if len(sys.argv) > 3 else "32"
results: dict[str, list[dict]] = {"fused": [], "torch": []}
with tempfile.TemporaryDirectory() as tmp:
    for r in range(rounds):
        for label in ("fused", "torch") if r % 2 == 0 else ("torch", "fused"):
            path = os.path.join(tmp, f"{label}{r}.json")
            env = {**os.environ, "DDCODEC_FUSED": "1" if label == "fused" else "0"}
            subprocess.run([sys.executable, "-m", "ddcodec.bench", "--device", "cpu", "--decode-only", "--size", size,
                            "-k", k, "--repeats", "15", "--json", path], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            with open(path) as f:
                out = json.load(f)
            assert out["decode_fused_kernels"] == (label == "fused"), out
            results[label].append(out)
            print(f"round {r} {label:5s}: median {out['decode_ms']:6.1f} ms, first {out['decode_first_ms']:6.1f} ms, "
                  f"peak {out['peak_rss_mb']:6.0f} MB", flush=True)
first = results["fused"][0]
print(f"# {size} at -k {k} (width {first['net_width']}, kernels {first['depthwise']}), "
      f"{first['torch_threads']} threads, {rounds} processes each")
for label, runs in results.items():
    print(f"{label:5s}: median of process medians {statistics.median(r['decode_ms'] for r in runs):6.1f} ms "
          f"(fastest process {min(r['decode_ms'] for r in runs):6.1f}), first decode "
          f"{statistics.median(r['decode_first_ms'] for r in runs):6.1f} ms, peak "
          f"{statistics.median(r['peak_rss_mb'] for r in runs):5.0f} MB")
