"""Session 17: fixed_scale (the normalisations' scales left at 1) at 384x256, paired with version 1.2.0's default,
read as is and at equal rate. The default's lines are the l1=0.0003 lines of weight_l1_384x256_k{168,84,32}.txt
(the same fits: encodes are deterministic, and the first images were checked to match bit for bit in bpp and PSNR).
Equal rate: the PSNR difference minus the default's local slope (dB per doubling of rate, from its 12-image means
at k=168 / 84 / 32; at k=84 the mean of the slopes on either side) times log2 of the rate ratio.
Prints, per k: mean bpp and PSNR of both, the difference (standard error; images better) and at equal rate.
Run from the repository root."""
import math
import re
import statistics as st

LINE = re.compile(r"\s*(\S+)\s+(\S+)\s+w=\d+\s+bits=\d+ bpp=([\d.]+) float=[\d.]+ psnr=([\d.]+)")


def load(path):
    return {(m[1], m[2]): (float(m[3]), float(m[4])) for m in map(LINE.match, open(path)) if m}


runs = {}
for k in (168, 84, 32):
    base = {i: v for (i, c), v in load(f"samples/perf-cpu/weight_l1_384x256_k{k}.txt").items() if c == f"k={k},l1=0.0003"}
    new = {i: v for (i, c), v in load(f"samples/perf-cpu/fixed_scale_384x256_k{k}.txt").items() if c == f"k={k},fixed_scale=1"}
    runs[k] = [(base[i], new[i]) for i in sorted(new)]
means = {k: [st.mean(b[j] for b, _ in r) for j in (0, 1)] for k, r in runs.items()}
slope = {a: (means[b][1] - means[a][1]) / math.log2(means[b][0] / means[a][0]) for a, b in ((168, 84), (84, 32))}
slope = {168: slope[168], 84: (slope[168] + slope[84]) / 2, 32: slope[84]}
for k, r in runs.items():
    d = [n[1] - b[1] for b, n in r]
    e = [n[1] - b[1] - slope[k] * math.log2(n[0] / b[0]) for b, n in r]
    se = lambda x: st.stdev(x) / len(x) ** 0.5
    print(f"k={k}: {len(r)} images, bpp {means[k][0]:.4f} -> {st.mean(n[0] for _, n in r):.4f} "
          f"({st.mean(n[0] for _, n in r) / means[k][0] - 1:+.1%}), PSNR {means[k][1]:.2f} -> "
          f"{st.mean(n[1] for _, n in r):.2f}, diff {st.mean(d):+.3f} (SE {se(d):.3f}; {sum(x > 0 for x in d)} better), "
          f"equal rate {st.mean(e):+.3f} (SE {se(e):.3f}; slope {slope[k]:.2f} dB per doubling)")
