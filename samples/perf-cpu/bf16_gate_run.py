"""``python -m ddcodec.ablation`` with another bfloat16 gate: ``fit.BF16_MIN_BYTES`` set to the first argument (MiB).

Session 51 ran 1.25.0's encoder with 1.24.0's 16 MiB gate beside its own 1 MiB one at the rates session 50 left out:
  OMP_NUM_THREADS=1 python samples/perf-cpu/bf16_gate_run.py 16 KODAK/kodimNN.png --size 384x256 --config bpp=0.125
(the same without the wrapper for the 1 MiB arm). Figures: python samples/perf-cpu/bf16_gate_compare.py"""
import sys

from ddcodec import ablation, fit

if __name__ == "__main__":
    fit.BF16_MIN_BYTES = int(float(sys.argv[1]) * (1 << 20))
    ablation.main(sys.argv[2:])
