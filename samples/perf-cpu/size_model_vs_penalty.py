"""Session 17: real 384x256 files (12 Kodak images per plan) against --bpp's size model, for 1.1.0's encoder
(no penalty), 1.2.0's (weight_l1 0.0003) and 1.3.0's (also fixed scales; the model told so). Prints the
mean, lowest and highest real/predicted - 1 per plan. Run from the repository root."""
import statistics as st

from paired import load, model_error

for k in (168, 84, 32):
    for path, config, fixed in ((f"weight_l1_384x256_k{k}.txt", f"k={k}", False),
                                (f"weight_l1_384x256_k{k}.txt", f"k={k},l1=0.0003", False),
                                (f"fixed_scale_384x256_k{k}.txt", f"k={k},fixed_scale=1", True)):
        rows = load(path, config).values()
        errors = [model_error(r, 384 * 256, fixed) for r in rows]
        width = next(iter(rows))["width"]
        print(f"{config:<20} width {width}: mean {st.mean(errors):+.1%}, from {min(errors):+.1%} to {max(errors):+.1%}")
