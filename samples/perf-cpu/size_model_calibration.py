"""Session 18: --bpp's size model against real files of version 1.3.0's default encoder (weight_l1 penalty,
fixed scales; 1.3.1 fits the same), every plan measured with 12 Kodak images: 192x128, 384x256 (ablation
runs and the RD sweep) and 768x512 (2 CPU cores). Prints, per plan, the real payload (the file less its header)
over the Gaussian model's prediction and each file's error against the model without and with the penalty
allowance; then the payload ratios' mean over the plans (ratecontrol.PENALTY_PACKING); then the plans --bpp makes
at 384x256 and 768x512 without and with the allowance, each with its predicted error. Run from the repository root
(tests/test_ratecontrol.py imports ``plan_sets`` and ``payload_ratio``)."""
import statistics as st

from paired import CHANNELS, DEPTH, load, model_error, sweep

from ddcodec.format import param_count
from ddcodec.presets import BPP_BITS_CHOICES, BPP_BITS_TIERS, MIN_NET_WIDTH, WEIGHT_L1
from ddcodec.ratecontrol import PENALTY_PACKING, bytes_per_weight, header_bytes, plan_for_bpp, predicted_bytes

# the 1.3.0 sweep's plans (ddcodec info on its files; the same for every image, as they share one size)
SWEEP_PLANS = {"bpp=0.125": (17, 6), "bpp=0.25": (23, 7), "bpp=0.5": (31, 8)}


def plan_sets() -> list[tuple[str, int, list[dict]]]:
    """(label, pixels, rows with width, bits and bpp) per plan, for version 1.3.0's default encoder."""
    rows = lambda name, config: list(load(name, config).values())
    sets = [("192x128, k=84", 192 * 128, rows("fixed_scale_192x128.txt", "k=84,fixed_scale=1"))]
    sets += [(f"384x256, k={k}", 384 * 256, rows(f"fixed_scale_384x256_k{k}.txt", f"k={k},fixed_scale=1"))
             for k in (168, 84, 32)]
    sets += [(f"384x256, --bpp {setting[4:]} (RD sweep)", 384 * 256,
              [dict(r, width=width, bits=bits) for r in sweep("rd-kodak-384x256-1.3.0", setting).values()])
             for setting, (width, bits) in SWEEP_PLANS.items()]
    sets += [("768x512, --bpp 0.125", 768 * 512, rows("fullsize_0.125_1.3.0.txt", "bpp=0.125")),
             # width 34, 7 bits: four images as k=158,bits=7, the rest as 1.3.1's --bpp 0.125 (the same fit)
             ("768x512, width 34, 7 bits", 768 * 512, rows("fullsize_plans_1.3.0.txt", "k=158,bits=7")
              + rows("fullsize_0.125_1.3.1.txt", "bpp=0.125"))]
    return [s for s in sets if s[2]]


def payload_ratio(row: dict, pixels: int) -> float:
    """The real payload over the Gaussian model's (the header is exact)."""
    model = bytes_per_weight(row["bits"], row["width"], DEPTH, CHANNELS, True) * param_count(row["width"], DEPTH, CHANNELS)
    return (row["bpp"] * pixels / 8 - header_bytes(DEPTH, CHANNELS)) / model


if __name__ == "__main__":
    ratios = []
    for label, pixels, rows in plan_sets():
        ratio = st.mean(payload_ratio(r, pixels) for r in rows)
        ratios.append(ratio)
        summary = []
        for penalised in (False, True):
            errors = [model_error(r, pixels, weight_l1=WEIGHT_L1 if penalised else 0.0) for r in rows]
            summary.append(f"mean {st.mean(errors):+.1%}, from {min(errors):+.1%} to {max(errors):+.1%}")
        print(f"{label:<36} {len(rows):2} images, width {rows[0]['width']:2}, {rows[0]['bits']} bits: payload / "
              f"Gaussian model {ratio:.4f}; file / model - 1: {summary[0]}; with the allowance: {summary[1]}")
    print(f"mean over {len(ratios)} plans: {st.mean(ratios):.4f} (ratecontrol.PENALTY_PACKING = {PENALTY_PACKING})")
    print("plans of --bpp with the presets (fixed scales), width/bits (predicted error): without the penalty "
          "allowance -> with it (1.3.1) [with it, were 5 bits not a tier of their own]:")
    for height, width in ((256, 384), (512, 768)):
        for target in (0.125, 0.25, 0.5, 0.75):
            plans = []
            one_tier = (tuple(b for tier in BPP_BITS_TIERS for b in tier),)  # 5 bits not a last resort
            for weight_l1, tiers in ((0.0, BPP_BITS_TIERS), (WEIGHT_L1, BPP_BITS_TIERS), (WEIGHT_L1, one_tier)):
                net_width, bits = plan_for_bpp(height, width, CHANNELS, target, DEPTH, BPP_BITS_CHOICES, MIN_NET_WIDTH,
                                               tiers, True, weight_l1)
                size = predicted_bytes(net_width, DEPTH, CHANNELS, bits,
                                       bytes_per_weight(bits, net_width, DEPTH, CHANNELS, True, weight_l1))
                plans.append(f"{net_width}/{bits} ({size / (target * height * width / 8) - 1:+.1%})")
            print(f"  {width}x{height} at {target} bpp: {plans[0]} -> {plans[1]} [{plans[2]}]")
