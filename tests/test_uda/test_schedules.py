# Copyright (c) mmuda contributors. All rights reserved.
"""The learning-rate curves of the schedules against the reference formulas."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import PARAM_SCHEDULERS

from mmuda.utils.schedule import short_schedule_options

from ..helpers import ROOT


def lr_curve(param_scheduler, base_lr, steps):
    """The lr of iterations 0 .. steps - 1 under the configured schedulers."""
    import mmengine.optim  # noqa: F401  (registers the schedulers)
    opt = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=base_lr)
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=opt)) for s in param_scheduler]
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        for s in schedulers:
            s.step()
    return lrs


def daformer_lr(t, base, max_iters, warmup, ratio):
    """mmcv 1.x PolyLrUpdaterHook (power 1, min_lr 0) with a linear warm-up: the warm-up
    factor multiplies the poly lr of the same iteration."""
    poly = base * (1 - t / max_iters)
    if t < warmup:
        return poly * (1 - (1 - t / warmup) * (1 - ratio))
    return poly


def test_daformer_schedule_is_the_reference_curve():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/schedules/adamw_poly_40k.py'))
    lrs = lr_curve(cfg.param_scheduler, 6e-5, 40000)
    for t in (0, 1, 1499, 1500, 20000, 39999):
        assert lrs[t] == pytest.approx(daformer_lr(t, 6e-5, 40000, 1500, 1e-6), rel=1e-9), t
    # the decay is not restarted after the warm-up: at 1500 the lr is 1 - 1500/40000 of
    # the base lr, not the base lr (the old schedule's 4 % excess)
    assert lrs[1500] == pytest.approx(6e-5 * 0.9625, rel=1e-9)


def test_synthetic_schedule_has_the_daformer_form():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/schedules/schedule_synthetic.py'))
    lrs = lr_curve(cfg.param_scheduler, 1e-3, 1000)
    for t in (0, 50, 99, 100, 500, 999):
        assert lrs[t] == pytest.approx(daformer_lr(t, 1e-3, 1000, 100, 1e-3), rel=1e-9), t


def test_short_schedule_options_keep_the_form():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/schedules/schedule_synthetic.py'))
    opts = short_schedule_options(cfg.param_scheduler, cfg.max_iters, 200, 20)
    assert opts == ['param_scheduler.0.end=21', 'param_scheduler.1.end=201']
    cfg.param_scheduler[0].end, cfg.param_scheduler[1].end = 21, 201
    lrs = lr_curve(cfg.param_scheduler, 1e-3, 200)
    for t in (0, 19, 20, 150, 199):
        assert lrs[t] == pytest.approx(daformer_lr(t, 1e-3, 200, 20, 1e-3), rel=1e-9), t
    # a decay that starts after the warm-up (the detection schedule) keeps doing so
    det = Config.fromfile(osp.join(ROOT, 'configs/_base_/schedules/schedule_det_synthetic.py'))
    assert short_schedule_options(det.param_scheduler, det.max_iters, 40, 4) == [
        'param_scheduler.0.end=4', 'param_scheduler.1.begin=4', 'param_scheduler.1.end=40']
    with pytest.raises(ValueError, match='warmup < iters'):
        short_schedule_options(cfg.param_scheduler, cfg.max_iters, 10, 10)
