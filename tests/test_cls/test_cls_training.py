# Copyright (c) mmuda contributors. All rights reserved.
"""Classification UDA through tools/train.py on tiny embedded classification domains."""
import glob
import json
import os.path as osp
import sys

import pytest

from ..helpers import ROOT, run_tool

MIC = 'configs/mic/mic-sdat_cls-r18_1k_synthetic-src2tgt.py'
SOURCE_ONLY = 'configs/source_only/source-only_cls-r18_1k_synthetic-src2tgt.py'
#: tiny domains: scenes per split (a few crops each)
TINY_SCENES = dict(train=24, val=6)


def cls_train_cmd(config, work_dir, data_root, iters, extra=()):
    """tools/train.py on ``config`` (relative to the repository) with tiny domains under
    ``data_root``, batch 8, ``iters`` iterations."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, config))
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False',
                 f'{loader}.batch_size=8']
    uda = cfg.train_dataloader.dataset.type == 'UDADataset'
    datasets = ['train_dataloader.dataset.source', 'train_dataloader.dataset.target'] \
        if uda else ['train_dataloader.dataset']
    for prefix in datasets + ['val_dataloader.dataset', 'test_dataloader.dataset']:
        opts += [f'{prefix}.data_root={data_root}',
                 f'{prefix}.num_scenes.train={TINY_SCENES["train"]}',
                 f'{prefix}.num_scenes.val={TINY_SCENES["val"]}']
    opts += [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
             f'default_hooks.checkpoint.interval={iters}', 'default_hooks.logger.interval=1']
    return [sys.executable, osp.join(ROOT, 'tools/train.py'), osp.join(ROOT, config),
            '--work-dir', work_dir, '--cfg-options', *opts, *extra]


def _scalars(work_dir):
    path = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))[0]
    return [json.loads(line) for line in open(path)]


@pytest.mark.slow
def test_mic_sdat_trains_and_evaluates(tmp_path):
    work_dir = str(tmp_path / 'mic')
    proc = run_tool(cls_train_cmd(MIC, work_dir, str(tmp_path / 'data'), 20,
                                  ['randomness.seed=0']))
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = _scalars(work_dir)
    train = [r for r in rows if 'ascent.loss_cls' in r]
    assert len(train) == 20
    # the source loss falls; both SAM passes and the masked loss are logged
    first = sum(r['ascent.loss_cls'] for r in train[:4]) / 4
    last = sum(r['ascent.loss_cls'] for r in train[-4:]) / 4
    assert last < first
    assert {'adapt.loss_cdan', 'adapt.loss_masked', 'ascent.loss_masked',
            'teacher.pseudo_weight'} <= set(train[-1])
    val = [r for r in rows if 'mean_class_accuracy' in r]
    assert val and 0 <= val[-1]['mean_class_accuracy'] <= 100
    # the demo's evaluation of the checkpoint on target and source val (its config variables)
    import importlib.util
    spec = importlib.util.spec_from_file_location('demo', osp.join(ROOT, 'tools/misc/demo.py'))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    options = []
    for name in ('target_val', 'source_val'):
        options += [f'{name}.data_root={tmp_path / "data"}',
                    f'{name}.num_scenes.train={TINY_SCENES["train"]}',
                    f'{name}.num_scenes.val={TINY_SCENES["val"]}']
    options += ['test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False']
    result = demo.evaluate(MIC, osp.join(work_dir, 'iter_20.pth'), work_dir,
                           demo.TASKS['classification']['metric'], options)
    assert set(result) == {'target_mAcc', 'source_mAcc'}
    assert result['target_mAcc'] == pytest.approx(val[-1]['mean_class_accuracy'], abs=0.01)


@pytest.mark.slow
def test_source_only_trains_on_the_source_stream(tmp_path):
    work_dir = str(tmp_path / 'so')
    proc = run_tool(cls_train_cmd(SOURCE_ONLY, work_dir, str(tmp_path / 'data'), 6))
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = _scalars(work_dir)
    assert any('loss_cls' in r for r in rows)
    accuracy = [r['accuracy'] for r in rows if 'accuracy' in r][-1]
    # tools/test.py, and with --tta (ClsTTAModel: the mean soft-max of the crop and its mirror)
    cmd = cls_train_cmd(SOURCE_ONLY, work_dir, str(tmp_path / 'data'), 6)
    cmd[1] = osp.join(ROOT, 'tools', 'test.py')
    checkpoint = osp.join(work_dir, 'iter_6.pth')
    plain = run_tool(cmd[:3] + [checkpoint] + cmd[3:])
    assert plain.returncode == 0, plain.stderr[-3000:]
    assert f'accuracy: {accuracy:.4f}' in plain.stdout
    tta = run_tool(cmd[:3] + [checkpoint, '--tta'] + cmd[3:])
    assert tta.returncode == 0, tta.stderr[-3000:]
    assert 'Iter(test)' in tta.stdout and 'mean_class_accuracy' in tta.stdout
