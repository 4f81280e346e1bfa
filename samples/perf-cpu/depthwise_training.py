"""Session 22: the depthwise kernels in a CPU fit, padded or not. ``model._depthwise`` used to replicate-pad a copy
of the layer and convolve it; since 1.5.0 a CPU convolves the layer zero-padded and adds the replicated ring's
part on the edge rows and columns (``model._ReplicateDepthwise``), for layers of 32 MiB and more
(``model.RING_MIN_BYTES``, chosen from this output). Same values up to float rounding.

    python samples/perf-cpu/depthwise_training.py step 768x512 [ROUNDS [THREADS]]
        fitting steps at -k 32 (loss, backward, Adam): each round runs each variant in a fresh process (as an
        encode does; alternating variants inside one process flattered the ring), the median of its steps 3 to 10
    python samples/perf-cpu/depthwise_training.py encode 768x512 [ROUNDS [THREADS]]
        whole encodes of kodim23 at -k 32 with 40 + 8 steps (half of the 40 at half size, where the layers stay
        under 32 MiB), each in a fresh process: their fit seconds and PSNR
    python samples/perf-cpu/depthwise_training.py compare
        whole encodes with the ring against padded ones (saved outputs)
(2 threads unless told; output in depthwise_training.txt)"""
import statistics as st
import subprocess
import sys
import time
from pathlib import Path

import torch

from ddcodec import format as fmt, model
from ddcodec.codec import choose_net_width
from ddcodec.fit import per_image_mse, tune_allocator

if sys.argv[1] == "compare":
    # 384x256, 0.25 bpp, 12 images, the ring at every layer size against the 1.4.0 RD sweep's files (padded copies;
    # the same settings and plan), at equal rate along the sweep's local slope (its mean either side of 0.25 bpp)
    sys.path.insert(0, str(Path(__file__).parent))
    from paired import compare, load, local_slope, mean, sweep
    base = sweep("rd-kodak-384x256-1.4.0", "bpp=0.25")
    rows = load("depthwise_training_384x256.txt", "bpp=0.25")
    images = sorted(rows)
    slope = st.mean([local_slope(sweep("rd-kodak-384x256-1.4.0", "bpp=0.125"), base, images),
                     local_slope(base, sweep("rd-kodak-384x256-1.4.0", "bpp=0.5"), images)])
    compare("384x256, 0.25 bpp: ring against padded", {i: base[i] for i in images}, rows, slope)
    print(f"  encode seconds {mean(rows, 'seconds', images):.0f} against {mean(base, 'seconds', images):.0f} "
          f"(not paired in time: other sessions)")
    # full size, 0.25 bpp (width 45: the two full-size levels take the ring), against session 20's encodes
    rows, old = load("depthwise_training_768x512.txt", "bpp=0.25"), load("fullsize_0.25_1.4.0.txt", "bpp=0.25")
    for image in sorted(rows):
        new = rows[image]
        print(f"768x512, 0.25 bpp, {image}: {new['psnr']:.2f} dB at {new['bpp']:.4f} bpp in {new['seconds']:.0f} s "
              f"against {old[image]['psnr']:.2f} dB at {old[image]['bpp']:.4f} bpp in {old[image]['seconds']:.0f} s "
              f"(another session: the seconds are not paired)")
    sys.exit()
what, size = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 4
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
width, height = map(int, size.split("x"))
mask = fmt.all_layers(6)
net_width = choose_net_width(height, width, 3, 32, 6, mask)


def rounds_in_fresh_processes(prefix: str) -> dict[str, list[list[str]]]:
    """Each variant's output, round by round, from this script run as ``prefix + variant`` in a new process."""
    outputs: dict[str, list[list[str]]] = {"padded": [], "ring": []}
    for _ in range(rounds):
        for name in outputs:
            outputs[name].append(subprocess.run([sys.executable, __file__, prefix + name, size, "1", str(threads)],
                                                capture_output=True, text=True, check=True).stdout.split())
    return outputs


if what == "encode":
    print(f"{size}, -k 32, 40 + 8 steps, {threads} threads: fit seconds (PSNR), each variant in its own process")
    for name, runs in rounds_in_fresh_processes("encode-").items():
        print(f"  {name:7s} median {st.median(float(t) for t, _ in runs):5.1f} s   rounds "
              + " ".join(f"{float(t):.1f} ({p})" for t, p in runs))
elif what.startswith("encode-"):
    from PIL import Image
    import ddcodec
    torch.set_num_threads(threads)
    if what == "encode-padded":
        model.RING_MIN_BYTES = 1 << 62  # else 1.5.0's rule
    photo = Image.open(Path(__file__).parents[3] / "shared/data/kodak/kodim23.png").resize((width, height))
    _, result = ddcodec.encode(photo, k=32, iters=40, device="cpu")
    print(f"{result.fit_seconds:.2f} {result.psnr:.2f}")
elif what == "step":
    print(f"{size}, width {net_width} with kernels (-k 32), {threads} threads: ms per fitting step, each variant "
          f"in its own process per round")
    for name, runs in rounds_in_fresh_processes("").items():
        values = [float(out[0]) for out in runs]
        print(f"  {name:7s} median {st.median(values):5.0f}   rounds {' '.join(f'{v:.0f}' for v in values)}")
else:  # one variant, in this process: "padded" (every layer copied, as up to 1.4.1) or "ring" (every layer)
    torch.set_num_threads(threads)
    tune_allocator()
    model.RING_MIN_BYTES = 1 << 62 if what == "padded" else 0
    net = model.DeepDecoder(height, width, 3, net_width, 6, 0, depthwise=mask)
    target = torch.rand(1, 3, height, width)
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    steps = []
    for _ in range(10):
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        per_image_mse(net, target, None).sum().backward()
        opt.step()
        steps.append(time.perf_counter() - start)
    print(f"{st.median(steps[2:]) * 1000:.1f}")
