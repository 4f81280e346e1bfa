"""Session 17: fixed_scale (the normalisations' scales left at 1) at 384x256, paired with version 1.2.0's default,
read as is and at equal rate (paired.py). The default's lines are the l1=0.0003 lines of
weight_l1_384x256_k{168,84,32}.txt (the same fits: encodes are deterministic, and the first images were checked to
match bit for bit in bpp and PSNR). Run from the repository root."""
from paired import compare, default_1_2_0, load, slopes

slope = slopes()
for k in (168, 84, 32):
    compare(f"k={k}", default_1_2_0(k), load(f"fixed_scale_384x256_k{k}.txt", f"k={k},fixed_scale=1"), slope[k])
