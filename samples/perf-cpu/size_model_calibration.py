"""Session 18: --bpp's size model against real files of version 1.3.0's default encoder (weight_l1 penalty,
fixed scales; 1.3.1 fits the same), every plan measured with 12 Kodak images: 192x128, 384x256 (ablation
runs and the RD sweep) and 768x512 (2 CPU cores). Prints, per plan, the real payload (the file less its header)
over the Gaussian model's prediction, then their mean over the plans: ratecontrol.PENALTY_PACKING, and each
plan's file error with the model as calibrated. Run from the repository root (tests/test_ratecontrol.py
imports ``plan_sets``)."""
import csv
import statistics as st
from pathlib import Path

from ddcodec.ablation import read_results
from ddcodec.ratecontrol import PENALTY_PACKING, bytes_per_weight, header_bytes, predicted_bytes
from ddcodec.format import param_count

HERE = Path(__file__).parent
DEPTH, CHANNELS = 6, 3
# the 1.3.0 sweep's plans (ddcodec info on its files; the same for every image, as they share one size)
SWEEP_PLANS = {"bpp=0.125": (17, 6), "bpp=0.25": (23, 7), "bpp=0.5": (31, 8)}


def plan_sets() -> list[tuple[str, int, list[dict]]]:
    """(label, pixels, rows with width, bits and bpp) per plan, for version 1.3.0's default encoder."""
    def ablation(name: str, config: str) -> list[dict]:
        path = HERE / name
        return [r for r in read_results(path.read_text().splitlines() if path.exists() else []) if r["config"] == config]

    sets = [("192x128, k=84", 192 * 128, ablation("fixed_scale_192x128.txt", "k=84,fixed_scale=1"))]
    sets += [(f"384x256, k={k}", 384 * 256, ablation(f"fixed_scale_384x256_k{k}.txt", f"k={k},fixed_scale=1"))
             for k in (168, 84, 32)]
    sweep = list(csv.DictReader((HERE.parent / "rd-kodak-384x256-1.3.0" / "per_image.csv").open()))
    sets += [(f"384x256, --bpp {setting[4:]} (RD sweep)", 384 * 256,
              [{"width": width, "bits": bits, "bpp": float(r["bpp"])} for r in sweep
               if r["codec"] == "ddcodec" and r["setting"] == setting])
             for setting, (width, bits) in SWEEP_PLANS.items()]
    sets += [("768x512, --bpp 0.125", 768 * 512, ablation("fullsize_0.125_1.3.0.txt", "bpp=0.125")),
             # width 34, 7 bits: four images as k=158,bits=7, the rest as 1.3.1's --bpp 0.125 (the same fit)
             ("768x512, width 34, 7 bits", 768 * 512, ablation("fullsize_plans_1.3.0.txt", "k=158,bits=7")
              + ablation("fullsize_0.125_1.3.1.txt", "bpp=0.125"))]
    return [s for s in sets if s[2]]


def payload_ratio(row: dict, pixels: int) -> float:
    """The real payload over the Gaussian model's (the header is exact)."""
    header = header_bytes(DEPTH, CHANNELS)
    model = bytes_per_weight(row["bits"], row["width"], DEPTH, CHANNELS, True) * param_count(row["width"], DEPTH, CHANNELS)
    return (row["bpp"] * pixels / 8 - header) / model


def file_error(row: dict, pixels: int) -> float:
    """The real file over the calibrated model's prediction, less 1."""
    per_weight = bytes_per_weight(row["bits"], row["width"], DEPTH, CHANNELS, True, True)
    return row["bpp"] * pixels / 8 / predicted_bytes(row["width"], DEPTH, CHANNELS, row["bits"], per_weight) - 1


if __name__ == "__main__":
    ratios = []
    for label, pixels, rows in plan_sets():
        ratio = st.mean(payload_ratio(r, pixels) for r in rows)
        ratios.append(ratio)
        errors = [file_error(r, pixels) for r in rows]
        print(f"{label:<36} {len(rows):2} images, width {rows[0]['width']:2}, {rows[0]['bits']} bits: payload / "
              f"Gaussian model {ratio:.4f}; calibrated model's error: mean {st.mean(errors):+.1%}, "
              f"from {min(errors):+.1%} to {max(errors):+.1%}")
    print(f"mean over {len(ratios)} plans: {st.mean(ratios):.4f} (ratecontrol.PENALTY_PACKING = {PENALTY_PACKING})")
