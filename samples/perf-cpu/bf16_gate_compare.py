"""Session 50: bfloat16 steps down to layers of 1 MiB (``fit.BF16_MIN_BYTES``, 16 MiB before 1.25.0).

The gate dated from session 24, measured on 2 threads before later changes to the step; in session 50 a 384x256 step
at width 21 took 50 against 104 ms in bfloat16 on 2 threads (bf16_gate_step.txt), where the gate kept it float32.
The 12 Kodak images at 384x256 and 0.25 bpp with the lower gate (bf16_gate_384x256.txt), against 1.24.0's files
(session 48's seed screen, seed_prefix_384x256.jsonl, which single-thread fits repeat exactly on this CPU kind), and two
full-size images (seed 1) against session 48's quiet seed-1 encodes; equal rate along the 1.18.0 sweeps' slopes.
Session 51 added 0.125 and 0.5 bpp at 384x256, 1.25.0's encoder with both gates side by side (bf16_gate_rates_384x256.txt
with 1 MiB, bf16_gate_16mib_384x256.txt with 16 MiB through bf16_gate_run.py; 0.5 bpp with seed 1 too), and 576x384 at 0.25 bpp the same way
(bf16_gate_576x384.txt, bf16_gate_16mib_576x384.txt).
Run from the repository root: python samples/perf-cpu/bf16_gate_compare.py"""
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_per_image, load, local_slope, rounding_cost, sweep, sweep_slope  # noqa: E402
from step_budget_compare import FULL, SMALL, seed_rows  # noqa: E402


def _side_by_side(label: str, old_name: str, new_name: str, rate: float, seed: int = 0) -> None:
    """Session 51's runs of both gates with 1.25.0's encoder, at equal rate along the 384x256 sweep's slope."""
    config = f"bpp={rate:g}" + (f",seed={seed}" if seed else "")
    old, new = (load(name, config) for name in (old_name, new_name))
    if old and new:
        diffs = compare_per_image(f"{label}, seed {seed}: BF16_MIN_BYTES 1 MiB against 16 MiB", old, new,
                                  sweep_slope(SMALL, rate))
        images = sorted(set(old) & set(new))
        print(f"  better at equal rate: {sum(d > 0 for d in diffs)} of {len(diffs)}; encode "
              f"{st.mean(old[i]['seconds'] for i in images):.0f} -> {st.mean(new[i]['seconds'] for i in images):.0f} s")


def main() -> None:
    base = seed_rows("seed_prefix_384x256.jsonl")[0]
    rows = load("bf16_gate_384x256.txt", "bpp=0.25")
    images = sorted(rows)
    diffs = compare_per_image("384x256, 0.25 bpp, seed 0: BF16_MIN_BYTES 1 MiB against 16 MiB", base, rows,
                              sweep_slope(SMALL, 0.25))
    print(f"  better at equal rate: {sum(d > 0 for d in diffs)} of {len(diffs)}")
    print(f"  float PSNR {st.mean(rows[i]['float_psnr'] - base[i]['float_psnr'] for i in images):+.3f} dB; rounding "
          f"cost {rounding_cost(base, images):.3f} -> {rounding_cost(rows, images):.3f} dB; encode "
          f"{st.mean(base[i]['seconds'] for i in images):.0f} -> {st.mean(rows[i]['seconds'] for i in images):.0f} s")
    for rate, seed in ((0.125, 0), (0.5, 0), (0.5, 1)):
        _side_by_side(f"384x256, {rate:g} bpp", "bf16_gate_16mib_384x256.txt", "bf16_gate_rates_384x256.txt", rate, seed)
    # no sweep at 576x384: the 384x256 sweep's slope at 0.25 bpp (full size's is 2.21)
    _side_by_side("576x384, 0.25 bpp", "bf16_gate_16mib_576x384.txt", "bf16_gate_576x384.txt", 0.25)
    full = load("bf16_gate_384x256.txt", "bpp=0.25,seed=1")
    if full:
        quiet = seed_rows("seed_prefix_768x512.jsonl")[1]
        slope = local_slope(sweep(FULL, "bpp=0.125"), sweep(FULL, "bpp=0.25"), sorted(sweep(FULL, "bpp=0.25")))
        compare_per_image("768x512, 0.25 bpp, seed 1: BF16_MIN_BYTES 1 MiB against 16 MiB", quiet, full, slope)
        print("  time " + " ".join(f"{i[:-4]} {quiet[i]['seconds']:.0f} -> {full[i]['seconds']:.0f} s" for i in sorted(full)))


if __name__ == "__main__":
    main()
