"""The main fit's reduced-size stages (FitSchedule.quarter_fraction, coarse_fraction) and stage_restore_db: a stage
that ends more than that many dB under its best iterate hands the next stage that iterate, not its last one."""
from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from ddcodec.ablation import parse_config
from ddcodec.codec import FitSchedule, _to_tensor
from ddcodec.fit import _main_fit
from ddcodec.model import BatchedDeepDecoder, DeepDecoder

from conftest import smooth_image

# a peak lr this high makes the small stages end away from their best iterates (asserted below)
SCHEDULE = FitSchedule(iters=60, qat_iters=0, lr=3.0, quarter_fraction=0.25, coarse_fraction=0.25, stage_restore_db=0)


def _recorded_fit(monkeypatch, nets: list[DeepDecoder], images: list[int],
                  schedule: FitSchedule = SCHEDULE) -> list[tuple[int, torch.Tensor, dict]]:
    """(level, each image's loss, the weights it was computed from) for every step of one main fit."""
    import ddcodec.fit as fit_module

    calls = []
    plain = fit_module.per_image_mse

    def recording(model, target, transform, rows=None, coarse=0):
        losses = plain(model, target, transform, rows=rows, coarse=coarse)
        calls.append((coarse, losses.detach().clone(), {n: w.detach().clone() for n, w in model.weights.items()}))
        return losses

    monkeypatch.setattr(fit_module, "per_image_mse", recording)
    target = torch.cat([_to_tensor(smooth_image(40, 48, 3, seed=s), torch.device("cpu")) for s in images])
    model = nets[0] if len(nets) == 1 else BatchedDeepDecoder(nets)
    _main_fit(model, target, schedule, bits=7)
    return calls


def _first_at(calls: list, level: int) -> int:
    return next(i for i, (lv, _, _) in enumerate(calls) if lv == level)


@pytest.mark.parametrize("level", [2, 1])
def test_the_next_stage_starts_from_the_stages_best_iterate(monkeypatch, level):
    calls = _recorded_fit(monkeypatch, [DeepDecoder(40, 48, 3, 10, 4, seed=0, depthwise=0b1111)], [3])
    stage = [i for i, (lv, _, _) in enumerate(calls) if lv == level]
    assert len(stage) == 16  # a quarter of 60 steps, then the check of their last update
    best = min(stage, key=lambda i: float(calls[i][1][0]))
    assert best != stage[-1]  # else the test shows nothing
    start = calls[_first_at(calls, level - 1)][2]
    for name, w in calls[best][2].items():
        torch.testing.assert_close(start[name], w, rtol=0, atol=0)


def _batch_with_bests_apart(monkeypatch) -> tuple[list, list[int]]:
    """A batched fit of two networks whose half-size stage has each one's best at a different step, neither at its
    last: (calls, each network's best). Which seeds give that depends on the machine's float
    rounding (the first pair did on the Intel VMs, not on session 45's AMD one), so the first of a few pairs that
    does is taken."""
    for seeds in ((2, 3), (4, 5), (6, 7), (8, 9)):
        nets = [DeepDecoder(40, 48, 3, 10, 4, seed=s, depthwise=0b1111) for s in seeds]
        calls = _recorded_fit(monkeypatch, nets, [3, 4])
        stage = [i for i, (lv, _, _) in enumerate(calls) if lv == 1]
        bests = [min(stage, key=lambda i: float(calls[i][1][b])) for b in (0, 1)]
        if bests[0] != bests[1] and stage[-1] not in bests:
            return calls, bests
        monkeypatch.undo()  # the next pair records through the plain loss again
    pytest.fail("no seed pair put the two networks' best iterates at different steps: the test shows nothing")


def test_a_batch_restores_each_network_to_its_own_best(monkeypatch):
    calls, bests = _batch_with_bests_apart(monkeypatch)
    start = calls[_first_at(calls, 0)][2]
    for b, best in enumerate(bests):
        for name, w in calls[best][2].items():
            torch.testing.assert_close(start[name][b], w[b], rtol=0, atol=0)


def _psnr(loss: torch.Tensor) -> float:
    return -10 * math.log10(float(loss))


def test_a_stage_that_ended_within_the_threshold_of_its_best_hands_on_its_last_iterate(monkeypatch):
    one_stage = dataclasses.replace(SCHEDULE, quarter_fraction=0, coarse_fraction=0.5)  # every run the same up to its end
    calls = _recorded_fit(monkeypatch, [DeepDecoder(40, 48, 3, 10, 4, seed=0, depthwise=0b1111)], [3], one_stage)
    stage = [i for i, (lv, _, _) in enumerate(calls) if lv == 1]
    gap = max(_psnr(calls[i][1][0]) for i in stage) - _psnr(calls[stage[-1]][1][0])
    assert gap > 0.01
    for db, restored in ((gap * 0.9, True), (gap * 1.1, False)):
        calls = _recorded_fit(monkeypatch, [DeepDecoder(40, 48, 3, 10, 4, seed=0, depthwise=0b1111)], [3],
                              dataclasses.replace(one_stage, stage_restore_db=db))
        best = min(stage, key=lambda i: float(calls[i][1][0]))
        start = calls[_first_at(calls, 0)][2]
        source = calls[best if restored else stage[-1]][2]  # the check of the stage's last update: its last iterate
        for name, w in source.items():
            torch.testing.assert_close(start[name], w, rtol=0, atol=0)


def test_without_the_setting_no_stage_is_checked_or_restored(monkeypatch):
    calls = _recorded_fit(monkeypatch, [DeepDecoder(40, 48, 3, 10, 4, seed=0, depthwise=0b1111)], [3],
                          dataclasses.replace(SCHEDULE, stage_restore_db=None))
    assert [lv for lv, _, _ in calls[:31]] == [2] * 15 + [1] * 15 + [0]  # no extra check at the stages' ends


def test_the_setting_is_an_ablation_key_and_is_checked():
    assert parse_config("restore=1.5")[0].stage_restore_db == 1.5
    assert parse_config("restore=none")[0].stage_restore_db is None
    with pytest.raises(ValueError, match="stage_restore_db"):
        FitSchedule(iters=10, qat_iters=1, stage_restore_db=-1)


def test_a_fit_whose_stages_end_within_the_threshold_is_the_fit_without_the_setting():
    """Tracking the stages' best iterates and checking their last updates changes nothing else: where no stage is
    restored, the weights are bit for bit those of a fit without the setting (RESULTS.md's screens pair such images
    with the old files)."""
    target = _to_tensor(smooth_image(40, 48, 3, seed=3), torch.device("cpu"))
    fitted = []
    for db in (None, 1000.0):
        net = DeepDecoder(40, 48, 3, 10, 4, seed=0, depthwise=0b1111)
        _main_fit(net, target, dataclasses.replace(SCHEDULE, stage_restore_db=db), bits=7)
        fitted.append(net)
    for name, w in fitted[0].weights.items():
        torch.testing.assert_close(fitted[1].weights[name], w, rtol=0, atol=0)
