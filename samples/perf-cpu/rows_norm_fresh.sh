#!/bin/bash
# Session 54: the runs behind rows_norm_fresh.txt, one process each (rows_norm_fresh.py): a 1.28.0 checkout against this
# one at 768x512 width 21, then torch's batch norm against _PixelRowsNorm at the widths 1.29.0's gate adds and drops.
# usage: cd /tmp && bash /path/to/samples/perf-cpu/rows_norm_fresh.sh OLD_CHECKOUT > rows_norm_fresh.txt
# (run outside a checkout: python puts the current folder's ddcodec first on the path)
S=$(dirname "$0")/rows_norm_fresh.py PY=${PYTHON:-python} OLD=$1
echo "# 1.28.0 (torch's forward, the rows backward) against 1.29.0 (both from column sums), 768x512 width 21, four rounds:"
for r in 1 2 3 4; do
  OMP_NUM_THREADS=2 PYTHONPATH=$OLD $PY "$S" 768x512 21 rows 12
  OMP_NUM_THREADS=2 $PY "$S" 768x512 21 rows 12
done
echo "# 1.29.0: torch's batch norm against _PixelRowsNorm at the widths 1.29.0's gate adds (30 to 40) and drops (16), three rounds:"
for r in 1 2 3; do for cfg in "384x256 30" "384x256 38" "576x384 39" "768x512 34" "768x512 16"; do for m in torch rows; do
  OMP_NUM_THREADS=2 $PY "$S" $cfg $m 10
done; done; done
