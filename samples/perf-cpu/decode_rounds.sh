#!/bin/bash
# Decode time and memory of the working tree's renderer against another commit's, alternating:
# samples/perf-cpu/decode_rounds.sh OLDCOMMIT [ROUNDS]   (in the repo root; ddcodec/render.py is restored after)
set -e
old=$1; n=${2:-3}
cp ddcodec/render.py ${TMPDIR:-/tmp}/render_new.py
git show $old:ddcodec/render.py > ${TMPDIR:-/tmp}/render_old.py
trap 'cp ${TMPDIR:-/tmp}/render_new.py ddcodec/render.py' EXIT
for r in $(seq $n); do for v in old new; do
  cp ${TMPDIR:-/tmp}/render_$v.py ddcodec/render.py
  python -m ddcodec.bench --decode-only --device cpu --size 768x512 -k 32 --repeats 15 --depthwise auto 2>/dev/null | awk -v v=$v -v r=$r '/decode_first_ms|decode_first_page_faults|decode_ms|peak_rss_mb|net_width/ {printf "%s %s  ", $1, $2} END {print " round " r " " v}'
done; done
