#!/bin/bash
# Session 53: 2-thread CLI encodes of two checkouts alternating, image by image, two rounds
# (rows_norm_cli_384x256.txt: the defaults; rows_norm_cli_576x384.txt: 576x384 0.25 "kodim01", one round).
# usage: bash samples/perf-cpu/rows_norm_cli.sh OLD_CHECKOUT NEW_CHECKOUT KODAK_FOLDER OUT_FOLDER \
#            [WxH (384x256)] [BPP (0.25)] [ROUNDS (2)] [IMAGES ("kodim01 kodim05")]
# Run from anywhere but a checkout: python -m puts the current folder's ddcodec first on the path.
set -euo pipefail
old=$1 new=$2 kodak=$3 out=$4 size=${5:-384x256} bpp=${6:-0.25} rounds=${7:-2} images=${8:-kodim01 kodim05}
py=${PYTHON:-python}
mkdir -p "$out"
for img in $images; do
  "$py" -c "from PIL import Image; Image.open('$kodak/$img.png').resize(tuple(map(int, '$size'.split('x'))), \
Image.LANCZOS).save('$out/${img}_$size.png')"
done
cd "$out"
for round in $(seq "$rounds"); do
  for img in $images; do
    for v in old new; do
      src=$old; [ $v = new ] && src=$new
      PYTHONPATH=$src OMP_NUM_THREADS=2 "$py" -m ddcodec encode "${img}_$size.png" --bpp "$bpp" --device cpu --json -f -q \
          -o "${v}_${img}.ddc" | sed "s/^/$v round$round /"
    done
  done
done
