# Copyright (c) mmuda contributors. All rights reserved.
"""The video methods run end to end through tools/train.py on tiny embedded clips: DA-VSN
(two optimizers, four discriminators) and TPS (pseudo-labels from t-1, t-2) train, their losses
are logged, and the val loop scores frame t."""
import json
import os.path as osp

import pytest

from ..helpers import ROOT, run_tool, schedule_options

VIDEO = {
    'source_only':
    'configs/source_only/source-only_accel-deeplabv2-r18_1k_synthetic-video-src2tgt.py',
    'davsn': 'configs/davsn/davsn_accel-deeplabv2-r18_1k_synthetic-video-src2tgt.py',
    'tps': 'configs/tps/tps_accel-deeplabv2-r18_1k_synthetic-video-src2tgt.py',
}
TINY_SIZE = (64, 128)


def video_options(config: str, data_root: str, iters: int):
    """--cfg-options shrinking a synthetic video config to a few-second run: 3 + 1 clips of 4
    frames at 64 x 128."""
    uda = 'source-only' not in config
    datasets = (['train_dataloader.dataset.source', 'train_dataloader.dataset.target']
                if uda else ['train_dataloader.dataset'])
    datasets += ['val_dataloader.dataset', 'test_dataloader.dataset']
    size = f'({TINY_SIZE[0]},{TINY_SIZE[1]})'
    opts = []
    for key in datasets:
        opts += [f'{key}.data_root={data_root}', f'{key}.num_clips.train=3',
                 f'{key}.num_clips.val=1', f'{key}.frames_per_clip=4', f'{key}.img_size={size}']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False',
                 f'{loader}.batch_size=2']
    opts += [f'data_preprocessor.size={size}',
             f'model.{"model." if uda else ""}data_preprocessor.size={size}',
             f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
             f'default_hooks.checkpoint.interval={iters}', 'default_hooks.logger.interval=1']
    return opts + schedule_options(osp.join(ROOT, config), iters, max(1, iters // 5))


def video_train_cmd(method: str, work_dir: str, data_root: str, iters: int, extra=()):
    import sys
    config = VIDEO[method]
    return [sys.executable, osp.join(ROOT, 'tools/train.py'), osp.join(ROOT, config),
            '--work-dir', work_dir, '--cfg-options',
            *video_options(config, data_root, iters), *extra]


def _scalars(work_dir):
    import glob
    path = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))[-1]
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.mark.slow
@pytest.mark.parametrize('method', ['davsn', 'tps'])
def test_video_method_trains_and_evaluates(method, tmp_path, tmp_path_factory):
    data_root = str(tmp_path_factory.getbasetemp() / 'video_clips')
    work_dir = str(tmp_path / method)
    proc = run_tool(video_train_cmd(method, work_dir, data_root, 8))
    assert proc.returncode == 0, proc.stderr[-3000:]
    logs = _scalars(work_dir)
    train = [r for r in logs if 'src.loss' in r]
    assert len(train) == 8
    keys = {'davsn': ('tgt.loss_itcr_decode', 'tgt.loss_sta_decode', 'disc.loss_wd_aux'),
            'tps': ('tgt.decode.loss_ce', 'tgt.aux.loss_ce')}[method]
    assert all(k in train[-1] for k in keys)
    # the source loss falls over the short run
    assert train[-1]['src.loss'] < train[0]['src.loss']
    assert any('mIoU' in r for r in logs)
    if method == 'tps':
        # tools/test.py --tta: frame t, frame t-1 and the flow resized and flipped alike, the
        # views merged
        cmd = video_train_cmd(method, work_dir, data_root, 8)
        cmd[1] = osp.join(ROOT, 'tools', 'test.py')
        cmd = cmd[:3] + [osp.join(work_dir, 'iter_8.pth'), '--tta'] + cmd[3:]
        proc = run_tool(cmd)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert 'Iter(test)' in proc.stdout and 'mIoU' in proc.stdout
