"""Encoder settings and their defaults, with no torch import: the CLI reads them to build its options.

The defaults were chosen by measurement; samples/RESULTS.md "What the encoder's settings are worth".
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Optional

from . import format as fmt

DEFAULT_DEPTH = 6
# Depth when none is given (``choose_depth``): one more layer (a grid twice as coarse) for large images at low rates.
# At 768x512, version 1.18.0's default otherwise, at equal rate: +0.36 dB at 0.125 bpp (12 of 12 Kodak images
# better), +0.05 to +0.12 at 0.18 bpp (8 of 12), -0.07 at 0.25 bpp. At 576x384 (1.19.1, session 45): +0.18 dB at
# 0.125 bpp (9 of 12 better), +0.49 at 0.18 bpp (12 of 12; +0.08 against depth 6 at 7 bits, which rate control
# did not pick there), so since 1.20.0 from a shorter side of 384 (512 before); at 384x256 it lost 0.14 dB at 0.125
# bpp (10 of 12 worse; RESULTS.md, "Depth 7 at full size")
LOW_RATE_DEPTH = 7
LOW_RATE_DEPTH_MIN_SIDE = 384  # the image's shorter side, in pixels
LOW_RATE_DEPTH_MAX_BPP = 0.18  # targets up to this many bits per pixel (-k: channels * bits / k)
_DEPTH_FIELD = next(f for f in fmt.FIELDS if f.name == "depth")
MIN_DEPTH, MAX_DEPTH = int(_DEPTH_FIELD.lo), int(_DEPTH_FIELD.hi)  # the format's range
DEFAULT_BITS = 7  # measured: beats 8 bits at equal bpp by 0.1-0.3 dB
MIN_NET_WIDTH = 2
BPP_BITS_CHOICES = (5, 6, 7, 8)  # precisions rate control may pick from when bits are not given
# rate control's order among them (ratecontrol.plan_for_bpp): tier by tier, a plan inside the window (2.5% under to
# 1.5% over) at the tier's precisions in order, else the tier's plan nearest the target up to 5% under; then the
# next tier. A file 5% small costs about 0.1 dB. 7 and 6 bits first: at 384x256 and 0.5 bpp 6 bits were level with
# 7 at equal rate (-0.01 dB, session 38), at 0.25 bpp +0.22 (session 46). 7 bits first inside the window, as at
# full size 6 bits lost: -0.08 and -0.26 dB on two images at 0.5 bpp, -0.14 on eight at 0.25 bpp (session 46).
# Then 8 bits: at 384x256 and 0.25 bpp they lost 0.30 dB at equal rate to 7 bits 4.5% under and 0.52 to 6 bits
# 3.6% under, at 0.55 bpp 0.27 to 6 bits, at 576x384 and 0.18 bpp 0.42 to 7 bits (RESULTS.md, "Rate control's
# precision"); before 1.21.0: 7, 8, 6 bits in order, inside the window first. 5 bits last: they lost 0.24 to 0.67
# dB at equal rate, and with the size model calibrated for the penalty they won 384x256's 0.125 and 0.25 bpp
# targets inside the window (session 18). Since 1.36.0 a tier's filled plan comes before its window
# (ratecontrol._filled_plan): 6 bits' widest plan not over the window for networks up to ratecontrol.NARROW_WIDTH
# wide (where it is wider than 7 bits'), its codes filled up to the target.
BPP_BITS_TIERS = ((7, 6), (8,), (5,))
# A --bpp file more than this over its target is fitted again one width narrower (codec._within_rate): the size
# model predicts a plan's mean file, and single files strayed up to 3.4% over at 768x512 (kodim05, 0.25 bpp, 1.4.0)
RATE_TOLERANCE = 0.03
# Depthwise kernels (format version 2): a learnt 3x3 kernel per channel after every hidden layer's upsampling.
# "auto" gives them to networks at least this wide (counted with the kernels, which take 54 weights per
# unit of width); narrower ones spend too large a share of their weights on them. At 384x256 on the
# 12 Kodak images, at an equal parameter count: width 19 with kernels +0.43 dB at equal rate against
# width 23 without, width 11 with kernels -0.23 dB against 15 without (RESULTS.md, "Depthwise kernels")
DEPTHWISE_MIN_WIDTH = 16
DEPTHWISE_MODES = ("auto", "on", "off")
QAT_FRACTION = 0.2  # fine-tuning length as a fraction of the main fit, when --iters overrides a preset


@dataclass(frozen=True)
class FitSchedule:
    """How long and how fast to fit; ``PRESETS`` are instances of this."""

    iters: int
    qat_iters: int
    lr: float = 0.03  # one-cycle peak; 0.01/0.02/0.03/0.05 measured
    # main fit only: Adam's second-moment decay (torch's default 0.999). The later phases keep 0.999: at 0.99 they gave
    # the same files (RESULTS.md, "Adam's second-moment decay")
    beta2: float = 0.999
    # main fit only: Adam's first-moment (momentum) decay, torch's default
    beta1: float = 0.9
    warmup: float = 0.05
    # the quantisation-aware fine-tune's peak (cosine decay). 1e-4 since 1.6.0: against 1e-3, +0.06 / +0.08 / +0.16 dB
    # at 0.125 / 0.25 / 0.5 bpp on the 12 Kodak images at 384x256 (10, 11 and 12 of 12 better), same rate and time;
    # 1e-3 recovered little of what rounding cost, on one image nothing. At full size, on four images, +0.09 dB on
    # average but not on each (kodim15 -0.09) (RESULTS.md, "The fine-tune's learning rate")
    qat_lr: float = 1e-4
    # main fit only: each step renders a random row_fraction of the image's rows at full
    # resolution (the fine-tune always sees whole images)
    row_fraction: float = 1.0
    # main fit only: this fraction of its steps comes first (after quarter_fraction's) and fits a half-size image
    # (the last upsampling skipped, a quarter of the work), the rest fits the full image
    coarse_fraction: float = 0.0
    # main fit only: this fraction of its steps comes before those and fits a quarter-size image (the last two
    # upsamplings skipped; at 768x512 such a step took about half a half-size step's time, the small layers' fixed
    # costs dominating: RESULTS.md, "A quarter-size first stage")
    quarter_fraction: float = 0.0
    # main fit only: the reference's regulariser, Gaussian noise of this std added to the fixed
    # input at each step, its std times 0.7 every 500 steps (the reference: 0.005); 0 is off
    input_jitter: float = 0.0
    # both phases: this times the mean magnitude of every hidden conv's row-normalised weights
    # is added to the loss, drawing the weights towards zero so that zstd packs their codes
    # tighter (Struempler et al. 2022 regularise an implicit network's weights this way); 0 is off
    weight_l1: float = 0.0
    # the fine-tune's own penalty weight, where it should differ from the main fit's (None: the same)
    qat_weight_l1: Optional[float] = None
    # every phase: with a PSNR in dB, each network's penalty strength at each step is ``weight_l1`` times its current
    # MSE over that PSNR's MSE, kept within [``l1_floor``, 1] of ``weight_l1`` (fit.penalty_strength): images that fit
    # well get a weaker penalty. Rate control plans for the weakest (``planning_weight_l1``). None: a fixed strength.
    # In no preset: at 28 dB and 0.5 it gained +0.04 dB over the default, 0.0006 throughout +0.13 (session 59)
    l1_ref_db: Optional[float] = None
    l1_floor: float = 0.5
    # main fit: the penalty's strength moves linearly from ``weight_l1`` at its first step to this at its last, and the
    # rounding stage and the fine-tune (unless ``qat_weight_l1``) take this (``final_weight_l1``). None: no ramp.
    # In no preset: 0.0003 -> 0.0006 lost 0.03 dB to the default (session 59)
    weight_l1_end: Optional[float] = None
    # the whole encode again per strength listed, at the plan ``weight_l1`` gives (files land under a target, as a
    # stronger penalty packs tighter): the file that decodes best is kept. Which strength pays depends on the image
    # (session 58: 0.0006 gained up to 0.5 dB on most Kodak images and cost kodim03 0.35 to 1.05). Empty: one encode
    weight_l1_tries: tuple[float, ...] = ()
    # both phases: the normalisations' scales stay at their initial 1 instead of being fitted. They
    # are redundant: a scale multiplies one column of the next conv, which that conv can do itself
    # (its rows are normalised, and ReLU and the next normalisation absorb a positive factor per
    # row), so only the file's bytes change: 6 / (6 x width + 15) of the parameters (8% at width 10,
    # 2.5% at 37, 1.1% at 85), stored as one repeated code per vector
    fixed_scale: bool = False
    # main fit only, on a CPU with native bfloat16 (AVX-512 or AMX; fit.bf16_supported) and only for steps whose
    # largest layer is large (fit.BF16_MIN_BYTES): matrix products and activations in bfloat16 (torch autocast),
    # the weights and Adam in float32; the file and the reported PSNRs stay float32
    bf16: bool = False
    # the fine-tune's steps under the same bfloat16 autocast, with the same gates as ``bf16`` (off: float32)
    qat_bf16: bool = False
    # before the fine-tune: GPTQ rounding (ddcodec/rounding.py) instead of rounding each weight to its nearest code,
    # so the fine-tune starts from rounded weights that compensate each other's errors layer by layer
    hessian_round: bool = False
    # before the fine-tune: progressive quantisation. The layers are GPTQ-rounded one at a time, lowest first
    # (rounding.round_layer_by_layer), and after each the layers above it, still float, are fitted for this many steps
    # (cosine decay from ``progressive_lr``) to make up for what its rounding cost; rounded layers take no more
    # gradient. 0 is off. Its steps run in bfloat16 where the fine-tune's would (``qat_bf16``). The fine-tune
    # (``qat_iters``) follows as before.
    progressive_steps: int = 0
    progressive_lr: float = 1e-4
    # plans at ``LOW_BITS`` or fewer bits round progressively with these steps per layer and peak lr instead (None: the
    # same as above): at 6 bits rounding costs about three times what it costs at 7, and a stronger stage recovers more
    low_bits_progressive_steps: Optional[int] = None
    low_bits_progressive_lr: Optional[float] = None

    # main fit only: this fraction of its last steps (full-size ones) fits through ``quant.noise_quant``, each weight
    # plus uniform noise of one rounding step at the plan's precision, so the fit ends where rounding costs little; no
    # best iterate is kept over those steps (their loss is noisy), the last one is. 0 is off
    quant_noise: float = 0.0
    # the noise's width in rounding steps (1: rounding's own error spread)
    quant_noise_scale: float = 1.0
    # main fit only: a reduced-size stage (quarter_fraction's, coarse_fraction's) whose last iterate is more than this
    # many dB under its best hands the next stage its best iterate instead (None: always its last). At 768x512 a stage
    # can end in a collapse several dB deep, but restoring past 2 dB gave +0.004 dB at 0.5 bpp over the 12 Kodak images
    # (one +0.40, one -0.51), and after every stage (0) lost 0.09 at 384x256
    # (RESULTS.md, "Each stage from its best iterate")
    stage_restore_db: Optional[float] = None
    # the network: its last hidden layer's width as a percentage of its first's, the widths between falling linearly
    # (format.tapered_widths; files of format version 3). 100: every layer one width. The layers drawn at full size
    # are most of a step's work, so narrower ones make steps cheaper (RESULTS.md, "Tapered widths")
    taper: int = 100
    # every phase: the output conv is fitted as if its weights were this factor times what Adam moves, so its initial
    # weights and its learning rate in each phase are this many times torch's init and the others' rate (Adam's steps
    # do not depend on the gradient's scale). The same as a sigmoid of this factor times the conv's output, with the
    # file and the decoder unchanged. 1: no difference from the other weights
    out_gain: float = 1.0

    def __post_init__(self) -> None:
        if not (isinstance(self.out_gain, (int, float)) and self.out_gain > 0):
            raise ValueError(f"out_gain must be a positive number, got {self.out_gain!r}")
        if not (isinstance(self.taper, int) and 1 <= self.taper <= 100):
            raise ValueError(f"taper must be an integer percentage in [1, 100], got {self.taper!r}")
        if not 0 < self.row_fraction <= 1:
            raise ValueError(f"row_fraction must be in (0, 1], got {self.row_fraction!r}")
        if not 0 <= self.coarse_fraction < 1:
            raise ValueError(f"coarse_fraction must be in [0, 1), got {self.coarse_fraction!r}")
        if not (0 <= self.quarter_fraction < 1 and self.quarter_fraction + self.coarse_fraction < 1):
            raise ValueError(f"quarter_fraction must be in [0, 1) and leave full-size steps after coarse_fraction's, "
                             f"got {self.quarter_fraction!r}")
        if not 0 <= self.beta1 < 1:
            raise ValueError(f"beta1 must be in [0, 1), got {self.beta1!r}")
        if not 0 <= self.beta2 < 1:
            raise ValueError(f"beta2 must be in [0, 1), got {self.beta2!r}")
        if not 0 <= self.quant_noise < 1:
            raise ValueError(f"quant_noise must be in [0, 1), got {self.quant_noise!r}")
        if not self.quant_noise_scale > 0:
            raise ValueError(f"quant_noise_scale must be > 0, got {self.quant_noise_scale!r}")
        if self.stage_restore_db is not None and not self.stage_restore_db >= 0:
            raise ValueError(f"stage_restore_db must be >= 0 or None, got {self.stage_restore_db!r}")
        if not self.input_jitter >= 0:
            raise ValueError(f"input_jitter must be >= 0, got {self.input_jitter!r}")
        if not self.weight_l1 >= 0:
            raise ValueError(f"weight_l1 must be >= 0, got {self.weight_l1!r}")
        if not self.progressive_steps >= 0:
            raise ValueError(f"progressive_steps must be >= 0, got {self.progressive_steps!r}")
        if self.low_bits_progressive_steps is not None and not self.low_bits_progressive_steps >= 0:
            raise ValueError(f"low_bits_progressive_steps must be >= 0 or None, got {self.low_bits_progressive_steps!r}")
        if self.qat_weight_l1 is not None and not self.qat_weight_l1 >= 0:
            raise ValueError(f"qat_weight_l1 must be >= 0 or None, got {self.qat_weight_l1!r}")
        if self.weight_l1_end is not None and not self.weight_l1_end >= 0:
            raise ValueError(f"weight_l1_end must be >= 0 or None, got {self.weight_l1_end!r}")
        if not (isinstance(self.weight_l1_tries, tuple)
                and all(isinstance(x, (int, float)) and not isinstance(x, bool) and x >= 0
                        for x in self.weight_l1_tries)):
            raise ValueError(f"weight_l1_tries must be a tuple of numbers >= 0, got {self.weight_l1_tries!r}")
        if not 0 < self.l1_floor <= 1:
            raise ValueError(f"l1_floor must be in (0, 1], got {self.l1_floor!r}")

    @property
    def planning_weight_l1(self) -> float:
        """The penalty strength rate control plans for: ``weight_l1``, or with ``l1_ref_db`` its weakest, as a weaker
        penalty packs the codes less tight (files land under a target rather than over); the lower end of a ramp
        (``weight_l1_end``) likewise."""
        weakest = self.weight_l1 if self.weight_l1_end is None else min(self.weight_l1, self.weight_l1_end)
        return weakest if self.l1_ref_db is None else weakest * self.l1_floor

    @property
    def final_weight_l1(self) -> float:
        """The penalty's strength where the main fit ends, which the phases after it keep (``weight_l1_end``)."""
        return self.weight_l1 if self.weight_l1_end is None else self.weight_l1_end

    def progressive_for(self, bits: int) -> tuple[int, float]:
        """(steps per layer, peak lr) of progressive rounding for a plan at ``bits`` (``low_bits_*`` at ``LOW_BITS`` or
        fewer)."""
        low = bits <= LOW_BITS
        steps = self.low_bits_progressive_steps if low and self.low_bits_progressive_steps is not None else \
            self.progressive_steps
        lr = self.low_bits_progressive_lr if low and self.low_bits_progressive_lr is not None else self.progressive_lr
        return steps, lr


# the precisions FitSchedule.low_bits_progressive_* apply to
LOW_BITS = 6


# measured at 192x128 and 384x256 on the 12 Kodak images: +0.10 to +0.23 dB at 0.12 to 0.6 bpp,
# with files 0.5 to 3.5% smaller; 0.001 made files 5 to 12% smaller but lost 0.07 to 0.13 dB
# (less than 0.0003 gained at equal rate), 0.003 and more lost over 1 dB, and 0.0001 lost 0.12 to
# 0.15 dB against it (RESULTS.md, "What the encoder's settings are worth")
WEIGHT_L1 = 3e-4
# every preset leaves the normalisations' scales at 1 (fixed_scale, since 1.3.0): at 384x256 on the 12 Kodak
# images the files were 2.4 to 4.9% smaller at level PSNR (-0.04 to +0.00 dB), +0.01 to +0.09 dB at equal rate

# every preset's main fit runs in bfloat16 where that pays (a CPU with native bfloat16, layers of 1 MiB and more since
# 1.25.0, 16 MiB from 1.7.0): at full size, 0.25 bpp, 63 to 69% of the float32 encode's time, no loss in PSNR at equal
# rate over the images measured; at 384x256 (since 1.25.0) 12% faster, +0.04 dB (RESULTS.md, "bfloat16 fitting");
# smaller images fit exactly as before
# but no preset's fine-tune (qat_bf16, on in fast and default in 1.8.0 only): at full size it took about half the
# float32 fine-tune's time (a tenth of the encode) for -0.017 dB at equal rate at 0.125 to 0.5 bpp (eight files),
# but -0.05 and -0.07 dB at 0.75 bpp (width 82), over the 0.05 dB a speed-up may cost (RESULTS.md, "bfloat16 fitting")
PRESETS: dict[str, FitSchedule] = {
    # coarse-to-fine: half the main fit at reduced size (since 1.11.0 (default) and 1.12.0 (fast): a quarter at quarter
    # size, a quarter at half size; before, half at half size), where a step costs about a third; for about the time of
    # the plain presets they replace (500 + 100, 1,500 + 300), both fitted better (RESULTS.md, "What the encoder's
    # settings are worth"). fast's quarter-size stage: at 384x256, -k 32, the 12 Kodak images, +0.002 dB at equal
    # rate (SE 0.05) in 14% less time (RESULTS.md, "A quarter-size first stage")
    # Since 1.14.0 its main fit's Adam has beta2 0.99, as the default's: at 384x256, the 12 Kodak images, +0.085 /
    # +0.155 / +0.355 dB at equal rate at 0.125 / 0.25 / 0.5 bpp (SE 0.037 / 0.073 / 0.073), the same time (RESULTS.md,
    # "Adam's second-moment decay")
    # Since 1.15.0 its main fit's one-cycle peak lr is 0.08 (0.03 before): at 384x256, the 12 Kodak images, +0.261 /
    # +0.467 / +0.527 dB at equal rate at 0.125 / 0.25 / 0.5 bpp (SE 0.053 / 0.088 / 0.073; 12, 11, 12 of 12 better),
    # +0.025 / +0.106 / +0.157 over 0.06, the same time (RESULTS.md, "Peak learning rate 0.06")
    # Since 1.32.0 its output conv is fitted at the default's 0.0075 (out_gain 0.09375 of the peak 0.08, in every phase,
    # from 0.09375 of torch's initial scale): at 384x256, the 12 Kodak images, +0.161 / +0.198 / +0.287 dB at equal rate
    # at 0.125 / 0.25 / 0.5 bpp (SE 0.070 / 0.050 / 0.061; 9, 11, 11 of 12 better), the same work per step; at full
    # size, 0.25 bpp, kodim01 +0.31 dB and kodim03 +0.56 (RESULTS.md, "The fast and best presets after 1.31.0")
    "fast": FitSchedule(iters=700, qat_iters=100, quarter_fraction=0.25, coarse_fraction=0.25, weight_l1=WEIGHT_L1,
                        fixed_scale=True, beta2=0.99, lr=0.08, bf16=True, out_gain=0.09375),
    # since 1.9.0 its 300-step fine-tune is replaced by progressive rounding, 25 steps after each layer (then one
    # fine-tune step): at full size, from the same main fits, +0.02 to +0.09 dB (4 of 4 images, mean +0.053) in about
    # half the fine-tune's time (RESULTS.md, "Rounding layer by layer")
    # Plans at 6 bits and fewer (since 1.10.0) take 50 steps at lr 3e-4: at 6 bits, against 25 at 1e-4 from the same
    # main fits, 384x256 means +0.21 / +0.10 / +0.21 dB at 0.125 / 0.25 / 0.5 bpp (14 of 14 files better), 768x512 at
    # 0.5 bpp +0.26 and +0.32; at 5 bits +0.66 and +0.78 (RESULTS.md, "Rounding at 6 bits and fewer")
    # Since 1.11.0 the first quarter of its main fit is at quarter size, the second at half size (1.10.0: half at half
    # size): at 384x256, -k 32, 6 images, +0.045 dB at equal rate (SE 0.09) in 12% less time; at full size kodim01
    # +0.02 dB in 7% less (RESULTS.md, "A quarter-size first stage")
    # Since 1.13.0 its main fit's Adam has beta2 0.99: at 384x256, -k 32, the 12 Kodak images, +0.40 dB at equal rate
    # (SE 0.06; 12 of 12 better) in the same time; in the 384x256 RD sweep +0.04 / +0.10 / +0.13 dB at 0.125 / 0.25 /
    # 0.5 bpp, BD-rate -3.1% (RESULTS.md, "Adam's second-moment decay")
    # Since 1.14.0 its main fit's one-cycle peak lr is 0.045 (0.03 before): at 384x256, the 12 Kodak images, +0.134 /
    # +0.188 / +0.392 dB at equal rate at 0.125 / 0.25 / 0.5 bpp (SE 0.060 / 0.063 / 0.078), the same time (RESULTS.md,
    # "Peak learning rate and momentum after beta2")
    # Since 1.15.0 it is 0.06: at 384x256, the 12 Kodak images, +0.068 / +0.176 / +0.009 dB at equal rate at 0.125 /
    # 0.25 / 0.5 bpp against 0.045 (SE 0.037 / 0.046 / 0.095); at full size, 0.25 bpp (width 45), kodim01 and 03
    # +0.03 and +0.33 dB, and 0.045 +0.24 and +0.26 over 0.03 (RESULTS.md, "Peak learning rate 0.06")
    # Since 1.17.0 its main fit's last 8% of steps (176 of 2,200, full-size) fit through uniform noise of one rounding
    # step at the plan's precision (quant_noise): at 384x256, the 12 Kodak images, +0.027 / +0.020 / +0.154 dB at equal
    # rate at 0.125 / 0.25 / 0.5 bpp (SE 0.024 / 0.008 / 0.038; 6, 10, 11 of 12 better), the same time; rounding cost
    # 0.07 / 0.05 / 0.13 dB instead of 0.46 / 0.09 / 0.43. The last 25% lost at 0.125 bpp (-0.09); the last 4% gave what
    # 8% gave (RESULTS.md, "Fitting through rounding noise")
    # Since 1.18.0 plans at 7 and 8 bits round with the 6-bit plans' stage too, 50 steps per layer at lr 3e-4 (25 at
    # 1e-4 before): after the noise, against 1.17.0's default from the same main fits, at 384x256 +0.068 dB at equal
    # rate at 0.5 bpp (7 bits; SE 0.005, 12 of 12 better) and -0.003 at 0.25 (8 bits; SE 0.005); at full size (7 bits
    # at every target) +0.015 / +0.075 / +0.179 at 0.125 / 0.25 / 0.5 bpp on one image each (kodim03, which lost 0.19
    # to 3e-4 before the noise, at the last two), for up to a tenth more CPU time there (RESULTS.md,
    # "Rounding at 7 and 8 bits after the noise"). The low-bits fields repeat the base ones on purpose: an ablation's
    # prog= keeps moving 7 and 8 bits only, as in every saved screen, and the best preset overrides the base ones alone
    # Since 1.30.0 its output conv is fitted at an eighth of the other weights' learning rate, from an eighth of their
    # initial scale (out_gain): at 384x256, the 12 Kodak images, +0.058 / +0.112 / +0.218 dB at equal rate at 0.125 /
    # 0.25 / 0.5 bpp (SE 0.036 / 0.044 / 0.062; 8, 11, 11 of 12 better), the same work per step; 0.25 gave +0.116 at
    # 0.25 bpp and +0.154 at 0.5, 0.5 nothing; at full size kodim01 at 0.25 bpp +0.39 dB, the one image measured
    # (RESULTS.md, "The output conv's learning rate")
    # Since 1.31.0 the main fit's peak is 0.08 for every weight but the output conv, whose rate stays at 0.0075
    # (out_gain 0.09375 = 0.0075 / 0.08, which also makes its initial weights and its rate in the rounding stages
    # three quarters of 1.30.0's): at 384x256, the 12 Kodak images, +0.047 / +0.093 / +0.127 dB at equal rate at
    # 0.125 / 0.25 / 0.5 bpp, the same work per step; at full size, 0.25 bpp, kodim01 +0.12 dB, kodim03 +0.05
    # (RESULTS.md, "Learning rates per group of weights")
    "default": FitSchedule(iters=2200, qat_iters=0, quarter_fraction=0.25, coarse_fraction=0.25, weight_l1=WEIGHT_L1,
                           fixed_scale=True, beta2=0.99, lr=0.08, quant_noise=0.08, bf16=True,
                           progressive_steps=50, progressive_lr=3e-4, low_bits_progressive_steps=50,
                           low_bits_progressive_lr=3e-4, out_gain=0.09375),
}
# Since 1.34.0 the best preset is the default encoded twice, at its weight_l1 (0.0003) and at twice that, on the
# default's plan, keeping the file that decodes best, so it never falls below the default at the target. Which strength
# pays depends on the image: at 0.0006 most Kodak images gained up to 0.5 dB and kodim03 lost 0.35 to 1.05. At 384x256,
# 12 Kodak images at each of 0.125 / 0.25 / 0.5 bpp: +0.04 / +0.14 / +0.09 dB at the target, +0.08 / +0.17 / +0.13 at
# equal rate (0.0006 kept for 6 / 8 / 8 of the 12), in twice the default's time; at full size, 0.25 bpp, the 12 images:
# +0.13 dB at the target, +0.16 at equal rate (0.0006 kept for eight, +0.10 to +0.31 dB). The reduced-size stages do
# not tell the two apart as they do seeds (0.0003 ahead there on all eight images tried, four of them wrongly), so both
# are fitted whole (RESULTS.md, "The best preset: the default at two penalty strengths").
# 1.16.0 to 1.33.0's best (the default's schedule made longer: 6,000 main-fit steps, the progressive rounding at 25
# steps per layer, then a 1,200-step fine-tune, no rounding noise, peak lr 0.06, out_gain 1) took about five times the
# default's time and lost to it on two of four images at 384x256, 0.25 bpp (kodim05 -0.32 dB: rounding its 6-bit plans
# cost 0.54 to 0.89 dB; RESULTS.md, "The fast and best presets after 1.31.0")
PRESETS["best"] = replace(PRESETS["default"], weight_l1_tries=(6e-4,))


def choose_depth(height: int, width: int, channels: int, k: float, bpp: Optional[float] = None,
                 bits: Optional[int] = None) -> int:
    """The depth an encode gets when none is given: ``LOW_RATE_DEPTH`` for images whose shorter side is at
    least ``LOW_RATE_DEPTH_MIN_SIDE`` at a target of at most ``LOW_RATE_DEPTH_MAX_BPP``, else ``DEFAULT_DEPTH``.
    A ``bpp`` target is the rate itself; a ratio ``k`` stands for ``channels * bits / k`` bits per pixel (the
    codes before zstd, which packs them some 10% smaller). Depth 7 draws the image from a grid twice as coarse;
    at 768x512 and 576x384 that pays at low rates (at 768x512 it loses at 0.25 bpp), at 384x256 it lost."""
    if min(height, width) < LOW_RATE_DEPTH_MIN_SIDE:
        return DEFAULT_DEPTH
    if bpp is None and not (isinstance(k, (int, float)) and 0 < k < math.inf):
        return DEFAULT_DEPTH  # not a ratio: planning reports it
    rate = bpp if bpp is not None else channels * (DEFAULT_BITS if bits is None else bits) / k
    return LOW_RATE_DEPTH if rate <= LOW_RATE_DEPTH_MAX_BPP else DEFAULT_DEPTH
