"""Session 17: weight_l1 = 0.0001 against the 1.3.0 default (0.0003, fixed scales) at 384x256, paired per image,
read as is and at equal rate with the 1.2.0 default's slopes (paired.py). Run from the repository root."""
from paired import compare, load, slopes

slope = slopes()
for k in (84, 32):
    compare(f"k={k}", load(f"fixed_scale_384x256_k{k}.txt", f"k={k},fixed_scale=1"),
            load(f"weight_l1_0.0001_384x256_k{k}.txt", f"k={k},l1=0.0001"), slope[k])
