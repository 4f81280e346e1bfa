#!/bin/bash
# session 15 call 6: is the 0.75 bpp drop (kodim23 -1.0, kodim03 -0.44 dB) the layout or the fit's spread?
source .gpu/common.sh
exec > >(tee -a $OUT/log.txt) 2>&1
mkdir -p /tmp/in; cp .gpu/kodak/kodim23.png .gpu/kodak/kodim03.png /tmp/in/
enc() {  # enc TAG: two runs of both images at 0.75 bpp
  for r in 1 2; do mkdir -p /tmp/$1$r; python3 -m ddcodec.cli encode /tmp/in/*.png --bpp 0.75 --device cuda --batch 1 -o /tmp/$1$r --json 2>/dev/null | sed "s/^/{\"tag\": \"$1\", \"run\": $r, \"r\": /; s/$/}/"; done
}
step "old / new / new with cuDNN norm only, 3 processes"
pids=""
(PYTHONPATH=/tmp/site:$PWD/.gpu/old enc old > $OUT/old.jsonl) & pids="$pids $!"
(enc new > $OUT/new.jsonl) & pids="$pids $!"
(printf 'import ddcodec.model as M\nM.MANUAL_NORM_MAX_CHANNELS = 0\nfrom ddcodec.cli import main\nmain()\n' > /tmp/nomanual.py; mkdir -p /tmp/nm; cp -r ddcodec /tmp/nm/; printf '#!/bin/sh\nexec python3 /tmp/nomanual.py "$@"\n' > /tmp/nm/run; chmod +x /tmp/nm/run
 for r in 1 2; do mkdir -p /tmp/cudnn$r; python3 /tmp/nomanual.py encode /tmp/in/*.png --bpp 0.75 --device cuda --batch 1 -o /tmp/cudnn$r --json 2>/dev/null | sed "s/^/{\"tag\": \"cudnn\", \"run\": $r, \"r\": /; s/$/}/"; done > $OUT/cudnn.jsonl) & pids="$pids $!"
wait $pids
python3 - $OUT <<'PY'
import json, sys, glob
for f in sorted(glob.glob(sys.argv[1] + "/*.jsonl")):
    for l in open(f):
        d = json.loads(l); r = d["r"]
        print(d["tag"], d["run"], r["input"].split("/")[-1], round(r["psnr"], 3), round(r["float_psnr"], 3), r["width"], round(r["bpp"], 4))
PY
step done
