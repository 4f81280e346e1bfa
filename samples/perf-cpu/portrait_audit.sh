#!/bin/sh
# Session 34: the 384x256 comparisons that pair ablation lines with an RD sweep's files, on the 12 images as saved and
# on the nine landscape ones (PAIRED_LANDSCAPE_ONLY=1; paired.PORTRAIT). Before session 34 `ddcodec.ablation --size`
# squashed the portrait photos kodim09, 17 and 19 to 384x256, where the sweeps kept them 256x384, so in these pairs those
# three were different images. Headline lines only (per-image lines left out). Run from the repository root:
#   sh samples/perf-cpu/portrait_audit.sh > samples/perf-cpu/portrait_audit.txt
for script in adam_lr_beta1_compare qat_lr_compare depthwise_time_budget sweep_1.15.0_compare; do
    for mode in "" 1; do
        echo "=== $script.py${mode:+, landscape images only}"
        PAIRED_LANDSCAPE_ONLY=$mode python samples/perf-cpu/$script.py | grep -v "^ \|^768x512\|^full size"
    done
done
