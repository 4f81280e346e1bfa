#!/bin/bash
# Decode time and memory of the working tree's renderer against another commit's, alternating:
# samples/perf-cpu/decode_rounds.sh OLDCOMMIT [ROUNDS]   (in the repo root; ddcodec/render.py is restored after)
exec "$(dirname "$0")/bench_rounds.sh" ddcodec/render.py "$1" "${2:-3}" \
  'decode_first_ms|decode_first_page_faults|decode_ms|peak_rss_mb|net_width' \
  --decode-only --device cpu --size 768x512 -k 32 --repeats 15 --depthwise auto
