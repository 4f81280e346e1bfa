#!/bin/bash
# Session 53: 2-thread CLI encodes at 384x256, 0.25 bpp, of two checkouts alternating (rows_norm_cli_384x256.txt).
# usage: bash samples/perf-cpu/rows_norm_cli.sh OLD_CHECKOUT NEW_CHECKOUT KODAK_FOLDER OUT_FOLDER
# Run from anywhere but a checkout: python -m puts the current folder's ddcodec first on the path.
set -euo pipefail
old=$1 new=$2 kodak=$3 out=$4
py=${PYTHON:-python}
mkdir -p "$out"
for img in kodim01 kodim05; do
  "$py" -c "from PIL import Image; Image.open('$kodak/$img.png').resize((384, 256), Image.LANCZOS).save('$out/${img}_384x256.png')"
done
cd "$out"
for round in 1 2; do
  for img in kodim01 kodim05; do
    for v in old new; do
      src=$old; [ $v = new ] && src=$new
      PYTHONPATH=$src OMP_NUM_THREADS=2 "$py" -m ddcodec encode "${img}_384x256.png" --bpp 0.25 --device cpu --json -f -q \
          -o "${v}_${img}.ddc" | sed "s/^/$v round$round /"
    done
  done
done
