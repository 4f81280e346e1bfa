"""Session 17: shared by the scripts that compare saved ablation outputs at 384x256 image by image (imported from
their folder; not a script itself). Reads the outputs with ddcodec.ablation.read_results."""
import math
import statistics as st
from pathlib import Path

from ddcodec.ablation import read_results

FOLDER = Path(__file__).parent


def load(name: str, config: str) -> dict[str, dict]:
    """image -> its row, for one config of one saved output in this folder."""
    return {r["image"]: r for r in read_results((FOLDER / name).read_text().splitlines()) if r["config"] == config}


def default_1_2_0(k: int) -> dict[str, dict]:
    """Version 1.2.0's default at 384x256 (the l1=0.0003 lines of session 16's weight_l1 files)."""
    return load(f"weight_l1_384x256_k{k}.txt", f"k={k},l1=0.0003")


def slopes() -> dict[int, float]:
    """The 1.2.0 default's local slope in dB per doubling of rate at k=168 / 84 / 32 (12-image means; at k=84 the
    mean of the slopes on either side)."""
    means = {k: [st.mean(r[key] for r in default_1_2_0(k).values()) for key in ("bpp", "psnr")] for k in (168, 84, 32)}
    side = {a: (means[b][1] - means[a][1]) / math.log2(means[b][0] / means[a][0]) for a, b in ((168, 84), (84, 32))}
    return {168: side[168], 84: (side[168] + side[84]) / 2, 32: side[84]}


def compare(label: str, base: dict[str, dict], new: dict[str, dict], slope: float) -> None:
    """Print the means of both, the PSNR difference (standard error; images better) and the same at equal rate
    (the difference minus ``slope`` times log2 of each image's rate ratio)."""
    pairs = [(base[i], new[i]) for i in sorted(new)]
    d = [n["psnr"] - b["psnr"] for b, n in pairs]
    e = [n["psnr"] - b["psnr"] - slope * math.log2(n["bpp"] / b["bpp"]) for b, n in pairs]
    se = lambda x: st.stdev(x) / len(x) ** 0.5
    mb, mn = st.mean(b["bpp"] for b, _ in pairs), st.mean(n["bpp"] for _, n in pairs)
    print(f"{label}: {len(pairs)} images, bpp {mb:.4f} -> {mn:.4f} ({mn / mb - 1:+.1%}), PSNR "
          f"{st.mean(b['psnr'] for b, _ in pairs):.2f} -> {st.mean(n['psnr'] for _, n in pairs):.2f}, diff "
          f"{st.mean(d):+.3f} (SE {se(d):.3f}; {sum(x > 0 for x in d)} better), equal rate {st.mean(e):+.3f} "
          f"(SE {se(e):.3f}; slope {slope:.2f} dB per doubling)")
