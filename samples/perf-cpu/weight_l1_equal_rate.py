"""Session 16: the weight_l1 ablation at 384x256, k=32, read at equal rate: PSNR difference minus 1.36 dB per
doubling of rate (the default preset between k=84 and k=32 at this size, weight_l1_384x256_k{84,32}.txt). Prints
each config's mean and standard error over the 12 images. Run from the repository root."""
import re, math, statistics as st
def load(f):
    return {(l.split()[0], l.split()[1]): (float(re.search(r"bpp=([\d.]+)", l)[1]), float(re.search(r"psnr=([\d.]+)", l)[1])) for l in open(f) if not l.startswith("#")}
r = {**load("samples/perf-cpu/weight_l1_384x256_k32.txt"), **load("samples/perf-cpu/weight_l1_0.001_384x256_k32.txt")}
for c in ("k=32,l1=0.0003", "k=32,l1=0.001"):
    e = [r[i, c][1] - r[i, "k=32"][1] - 1.36 * math.log2(r[i, c][0] / r[i, "k=32"][0]) for i, cc in r if cc == "k=32"]
    print(c, round(st.mean(e), 3), round(st.stdev(e) / len(e) ** 0.5, 3))
