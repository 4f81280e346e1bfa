"""Session 17: real 384x256 files (12 Kodak images per plan) against --bpp's size model, for 1.1.0's encoder
(no penalty), 1.2.0's (weight_l1 0.0003) and 1.3.0's (also fixed scales; the model told so). Prints the
mean, lowest and highest real/predicted - 1 per plan. Run from the repository root."""
import re
import statistics as st

from ddcodec.ratecontrol import bytes_per_weight, predicted_bytes

LINE = re.compile(r"\s*\S+\s+(\S+)\s+w=(\d+)\s+bits=(\d+) bpp=([\d.]+)")
for k in (168, 84, 32):
    for path, config, fixed in ((f"weight_l1_384x256_k{k}.txt", f"k={k}", False),
                                (f"weight_l1_384x256_k{k}.txt", f"k={k},l1=0.0003", False),
                                (f"fixed_scale_384x256_k{k}.txt", f"k={k},fixed_scale=1", True)):
        errors = []
        for m in map(LINE.match, open(f"samples/perf-cpu/{path}")):
            if m and m[1] == config:
                width, bits = int(m[2]), int(m[3])
                predicted = predicted_bytes(width, 6, 3, bits, bytes_per_weight(bits, width, 6, 3, fixed))
                errors.append(float(m[4]) * 384 * 256 / 8 / predicted - 1)
        print(f"{config:<20} width {width}: mean {st.mean(errors):+.1%}, from {min(errors):+.1%} to {max(errors):+.1%}")
