#!/usr/bin/env bash
# The GPU figures the issues still lack, in one device call (the tool runs one command for at most 10 minutes, and a
# task lent a GPU has 15 minutes of device time in all, the machine's start included). Steps in the order they are
# worth, each under its own time limit, so whatever finishes comes back:
#   1. the GPU tests (CUDA-graph fit, CPU/GPU decode agreement on files with kernels: never run since 1.4.0)
#   2. the full-size RD sweep of the current version at 0.5 bpp (issue 4 requires JPEG's 29.06 dB there; session 39
#      measured 29.56 in CPU encodes), then 0.25 and 0.125 bpp; every finished encode stays in its cache
#   3. the bench at 768x512, -k 32 (issue 5): step rates, 8 images batched, decode ms; then one whole encode of kodim01
#      at -k 32 per preset (default, fast, best)
# Prepare once per checkout, here (the device has no zstandard, and ../shared does not travel):
#   echo /.whl/ >> .git/info/exclude; echo /.kodak/ >> .git/info/exclude; echo /.gpu/ >> .git/info/exclude
#   mkdir -p .kodak && cp ../shared/data/kodak/*.png .kodak/
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux2014_x86_64 -d .whl zstandard==0.25.0 pytorch-msssim==1.0.0
# Then call the device tool with command "bash samples/perf-gpu/device_check.sh", carry [".whl", ".kodak", ".gpu"]
# and timeout_s 600. A second call resumes the sweep if the first one's rd_cache.jsonl is copied to .gpu/rd/ first
# (SKIP="tests bench" skips the other steps). Back here, the device's encodes join classical codecs measured here:
#   mkdir -p results/full && cp FILES_AT/rd_cache.jsonl results/full/ && tar -xf FILES_AT/streams.tar -C results/full
#   ddcodec rd ../shared/data/kodak --out results/full --ddc-bpp RATES_THAT_FINISHED \
#       --reference ../shared/anchors/kodak_published.json
# (the cache keys ddcodec's points on the version, preset and image, not the device, so only the classical codecs
# are measured here; a rate left unfinished would be encoded here, on the CPU, for hours).
# A dry run on a CPU, small: DEVICE=cpu SCALE=0.125 RD_OPTIONS='--ddc-iters 30' SKIP='bench presets' bash samples/perf-gpu/device_check.sh
set -u
OUT=${OUT:-/tmp/device_check_out}
DEVICE=${DEVICE:-cuda}
KODAK=${KODAK:-.kodak}
SCALE=${SCALE:-}
SKIP=${SKIP:-}
RD_OPTIONS=${RD_OPTIONS:-}  # more options for ddcodec rd (a dry run's --ddc-iters)
LIMIT_TESTS=${LIMIT_TESTS:-75}
LIMIT_SWEEP=${LIMIT_SWEEP:-300}
LIMIT_BENCH=${LIMIT_BENCH:-60}
LIMIT_PRESETS=${LIMIT_PRESETS:-120}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT" .gpu/rd
export PYTHONUNBUFFERED=1
if [ -d .whl ] && ls .whl/*.whl >/dev/null 2>&1 && ! "$PYTHON" -c "import zstandard" 2>/dev/null; then
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        || { echo "device_check: the carried wheels do not install"; exit 1; }
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
"$PYTHON" -c "import ddcodec, zstandard" || { echo "device_check: ddcodec does not import (carry .whl)"; exit 1; }
[ -n "$(ls "$KODAK"/*.png 2>/dev/null)" ] || { echo "device_check: no images in $KODAK (carry .kodak)"; exit 1; }

started=$(date +%s)
step() {  # step NAME LIMIT COMMAND...: run under a time limit, log to $OUT/NAME.log, one summary line
    local name=$1 limit=$2 t0 rc
    shift 2
    case " $SKIP " in *" $name "*) echo "== $name: skipped"; return;; esac
    t0=$(date +%s)
    timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
    rc=$?
    echo "== $name: exit $rc in $(( $(date +%s) - t0 )) s (limit $limit s; $(( $(date +%s) - started )) s so far)"
    tail -n 25 "$OUT/$name.log"
}

{
    date -u; git log -1 --format='commit %h %s' 2>/dev/null; nvidia-smi --query-gpu=name,driver_version,memory.total \
        --format=csv,noheader 2>/dev/null; nproc
    "$PYTHON" -c "import torch, ddcodec; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'ddcodec', ddcodec.__version__)"
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"

step tests "$LIMIT_TESTS" "$PYTHON" -m pytest -q -p no:cacheprovider tests/test_gpu.py tests/test_ratecontrol.py -k "gpu or cuda or own_levels"

rd() {  # one rate of the sweep, into the shared cache; the last run's outputs cover every finished rate
    "$PYTHON" -m ddcodec rd "$KODAK" --codecs ddcodec --ddc-bpp "$1" --device "$DEVICE" --out .gpu/rd \
        ${SCALE:+--scale "$SCALE"} --anchor ddcodec $RD_OPTIONS
}
sweep() {
    rd 0.5 && rd 0.25 && rd 0.125
}
step sweep "$LIMIT_SWEEP" bash -c "$(declare -f rd sweep); PYTHON='$PYTHON' KODAK='$KODAK' DEVICE='$DEVICE' SCALE='$SCALE' RD_OPTIONS='$RD_OPTIONS' sweep"
cp .gpu/rd/rd_cache.jsonl "$OUT/" 2>/dev/null || touch .gpu/rd/rd_cache.jsonl
# the sheet image's files: without them the report back here encodes that image again on the CPU, at every rate
tar -C .gpu/rd -cf "$OUT/streams.tar" streams 2>/dev/null || rm -f "$OUT/streams.tar"
"$PYTHON" - <<'EOF' > "$OUT/sweep_summary.txt" 2>&1
"""Mean bpp, PSNR and encode seconds per encoder configuration and target over the finished encodes (the cache
survives a timeout)."""
import json
from collections import defaultdict
rows, configs = defaultdict(list), {}
for line in open(".gpu/rd/rd_cache.jsonl"):
    row = json.loads(line)
    config = configs.setdefault(json.loads(row["key"])[2], len(configs))
    rows[config, row["record"]["setting"]].append(row["record"])
for (config, setting), rs in sorted(rows.items()):
    n = len(rs)
    print(f"config {config} {setting}: {n} images, bpp {sum(r['bpp'] for r in rs) / n:.4f}, "
          f"PSNR {sum(r['psnr'] for r in rs) / n:.3f} dB, encode {sum(r['encode_s'] for r in rs) / n:.1f} s, "
          f"decode {1000 * sum(r['decode_s'] for r in rs) / n:.1f} ms")
for text, config in configs.items():
    print(f"config {config}: {text}")
EOF
cat "$OUT/sweep_summary.txt"

step bench "$LIMIT_BENCH" "$PYTHON" -m ddcodec.bench --device "$DEVICE" --size 768x512 -k 32 --batch 8 --json "$OUT/bench.json"
# whole encodes of each preset, one JSON line each as it finishes (the bench's --encodes prints nothing until all are done)
presets() {
    for preset in default fast best; do
        "$PYTHON" -m ddcodec encode "$KODAK/kodim01.png" -k 32 --preset "$preset" --device "$DEVICE" --json -q -f \
            -o "/tmp/device_check_$preset.ddc"
    done
}
step presets "$LIMIT_PRESETS" bash -c "$(declare -f presets); PYTHON='$PYTHON' KODAK='$KODAK' DEVICE='$DEVICE' presets"
echo "== done in $(( $(date +%s) - started )) s"
