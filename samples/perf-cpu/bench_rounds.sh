#!/bin/bash
# One module of the working tree against another commit's, in alternating rounds of python -m ddcodec.bench:
# samples/perf-cpu/bench_rounds.sh FILE OLDCOMMIT ROUNDS FIELDS BENCH_ARGS...
# (in the repo root; FILE, e.g. ddcodec/model.py, is restored after; FIELDS: a regex of the bench fields to print)
set -e
file=$1; old=$2; n=$3; fields=$4; shift 4
tmp=${TMPDIR:-/tmp}; base=$(basename "$file" .py)
cp "$file" "$tmp/${base}_new.py"
git show "$old:$file" > "$tmp/${base}_old.py"
trap "cp '$tmp/${base}_new.py' '$file'" EXIT
for r in $(seq "$n"); do for v in old new; do
  cp "$tmp/${base}_$v.py" "$file"
  python -m ddcodec.bench "$@" 2>/dev/null | awk -v v=$v -v r=$r -v f="$fields" '$1 ~ f {printf "%s %s  ", $1, $2} END {print " round " r " " v}'
done; done
