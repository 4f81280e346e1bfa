"""Session 67: the ddcodec command line with the hidden layers' ReLU and normalisation taken by torch's ops
(model.FUSED_NORM_MIN_VALUES lifted past every layer) and every other C kernel as installed: the other side of a
whole-encode comparison with the fused normalisation (encode_768x512_1.38.0_zen4.txt).

    OMP_NUM_THREADS=2 python samples/perf-cpu/without_fused_norm.py encode IMAGE -k 32 --device cpu -o OUT --json
"""
from ddcodec import model
from ddcodec.cli import main

model.FUSED_NORM_MIN_VALUES = 1 << 62
main(prog_name="ddcodec")
