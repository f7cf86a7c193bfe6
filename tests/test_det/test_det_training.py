# Copyright (c) mmuda contributors. All rights reserved.
"""Short real training runs of each detection method through tools/train.py on tiny synthetic
domains: the detection loss falls, the domain classifiers play an adversarial game (their loss
does not go to zero), and the run evaluates with mmdet's COCO metric."""
import glob
import json
import os.path as osp

import pytest

from ..helpers import ROOT, run_tool, schedule_options

CONFIGS = {
    'source_only': 'source_only/source-only_faster-rcnn-r18-c4_300_synthetic-clear2fog.py',
    'da_faster': 'da_faster/da-faster_faster-rcnn-r18-c4_300_synthetic-clear2fog.py',
    'visga': 'visga/visga_faster-rcnn-r18-c4_300_synthetic-clear2fog.py',
    'mic': 'mic/mic-da-faster_faster-rcnn-r18-c4_300_synthetic-clear2fog.py',
}
DET_LOSSES = ('src.loss_cls', 'src.loss_bbox', 'src.loss_rpn_cls', 'src.loss_rpn_bbox')


def det_train_cmd(config, work_dir, data_root, iters):
    opts = []
    for key, resize in (('train_dataloader.dataset.source', 2),
                        ('train_dataloader.dataset.target', 2),
                        ('val_dataloader.dataset', 1), ('test_dataloader.dataset', 1)):
        opts += [f'{key}.data_root={data_root}', f'{key}.num_images.train=24',
                 f'{key}.num_images.val=4', f'{key}.img_size=(96,192)',
                 f'{key}.pipeline.{resize}.scale=(192,96)']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    config = osp.join(ROOT, 'configs', config)
    opts += [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
             f'default_hooks.checkpoint.interval={iters}', 'default_hooks.logger.interval=1']
    opts += schedule_options(config, iters, max(1, iters // 10))
    return ['python', osp.join(ROOT, 'tools', 'train.py'), config, '--work-dir', work_dir,
            '--cfg-options', *opts]


def mean(values):
    return sum(values) / len(values)


@pytest.mark.slow
@pytest.mark.parametrize('method', list(CONFIGS))
def test_detection_training_run(method, tmp_path_factory):
    import sys
    data_root = str(tmp_path_factory.getbasetemp() / 'det_domains')  # shared by the methods
    work_dir = str(tmp_path_factory.mktemp(method))
    iters = 40
    cmd = det_train_cmd(CONFIGS[method], work_dir, data_root, iters)
    cmd[0] = sys.executable
    proc = run_tool(cmd)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in open(glob.glob(
        osp.join(work_dir, '*', 'vis_data', 'scalars.json'))[0])]
    train = [r for r in rows if 'src.loss' in r]
    assert len(train) == iters
    det = [sum(r[k] for k in DET_LOSSES) for r in train]
    assert mean(det[-8:]) < 0.8 * mean(det[:8]), det
    if method != 'source_only':
        for key in ('loss_da_img', 'loss_da_ins'):
            # one mean over the joint source + target batch (the passes' shares add up): a
            # discriminator that won would be near 0; behind the GRL it stays uncertain
            late = mean([r['src.' + key] + r['tgt.' + key] for r in train[-10:]])
            assert late > 0.2, (key, [r['src.' + key] + r['tgt.' + key] for r in train])
    if method == 'visga':
        assert all(r['src.da_groups'] >= 1 for r in train)
    if method == 'mic':
        assert all('pseudo_boxes' in r for r in train)
    evals = [r for r in rows if 'coco/bbox_mAP_50' in r]
    assert len(evals) == 1 and 0 <= evals[0]['coco/bbox_mAP_50'] <= 1
