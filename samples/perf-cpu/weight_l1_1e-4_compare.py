"""Session 17: weight_l1 = 0.0001 against the 1.3.0 default (0.0003, fixed scales) at 384x256, paired per image.
Prints, per k: mean bpp and PSNR of both, the difference (standard error; images better) and at equal rate
(the default's slope: 1.53 dB per doubling at k=84, 1.43 at k=32, as in fixed_scale_equal_rate.py).
Run from the repository root."""
import math
import re
import statistics as st

LINE = re.compile(r"\s*(\S+)\s+(\S+)\s+w=\d+\s+bits=\d+ bpp=([\d.]+) float=[\d.]+ psnr=([\d.]+)")


def load(path, config):
    return {m[1]: (float(m[3]), float(m[4])) for m in map(LINE.match, open(path)) if m and m[2] == config}


for k, slope in ((84, 1.53), (32, 1.43)):
    base = load(f"samples/perf-cpu/fixed_scale_384x256_k{k}.txt", f"k={k},fixed_scale=1")
    new = load(f"samples/perf-cpu/weight_l1_0.0001_384x256_k{k}.txt", f"k={k},l1=0.0001")
    pairs = [(base[i], new[i]) for i in sorted(new)]
    if not pairs:
        continue
    d = [n[1] - b[1] for b, n in pairs]
    e = [n[1] - b[1] - slope * math.log2(n[0] / b[0]) for b, n in pairs]
    se = lambda x: st.stdev(x) / len(x) ** 0.5
    mb, mn = st.mean(b[0] for b, _ in pairs), st.mean(n[0] for _, n in pairs)
    print(f"k={k}: {len(pairs)} images, bpp {mb:.4f} -> {mn:.4f} ({mn / mb - 1:+.1%}), PSNR "
          f"{st.mean(b[1] for b, _ in pairs):.2f} -> {st.mean(n[1] for _, n in pairs):.2f}, diff {st.mean(d):+.3f} "
          f"(SE {se(d):.3f}; {sum(x > 0 for x in d)} better), equal rate {st.mean(e):+.3f} (SE {se(e):.3f})")
