# Copyright (c) mmuda contributors. All rights reserved.
"""Real training runs through tools/train.py on the tiny synthetic domains."""
import glob
import json
import os
import os.path as osp
import re

import pytest
import torch

from ..helpers import ROOT, run_tool, train_cmd


def _scalars(work_dir):
    files = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    assert len(files) == 1, files
    with open(files[0]) as f:
        return [json.loads(line) for line in f]


def _weights(path):
    return torch.load(path, map_location='cpu', weights_only=True)['state_dict']


@pytest.mark.slow
def test_short_training_run_loss_falls(tmp_path, tiny_data_root):
    work_dir = str(tmp_path / 'work')
    proc = run_tool(train_cmd(work_dir, tiny_data_root, 40))
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = _scalars(work_dir)
    losses = [r['loss'] for r in rows if 'loss' in r]
    assert len(losses) == 40
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < 0.6 * first, (first, last)
    # the final validation on the target split ran and wrote mIoU
    assert any('mIoU' in r for r in rows)
    assert osp.isfile(osp.join(work_dir, 'iter_40.pth'))


@pytest.mark.slow
def test_resume_reproduces_uninterrupted_run(tmp_path, tiny_data_root):
    det = ['randomness.seed=3', 'randomness.deterministic=True']
    full = str(tmp_path / 'full')
    proc = run_tool(train_cmd(full, tiny_data_root, 8, extra=det))
    assert proc.returncode == 0, proc.stderr[-3000:]

    part = str(tmp_path / 'part')
    # stop after 4 iterations (checkpoint every 4), then resume to 8
    stop = det + ['default_hooks.checkpoint.interval=4', 'train_cfg.max_iters=4']
    proc = run_tool(train_cmd(part, tiny_data_root, 8, extra=stop))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert osp.isfile(osp.join(part, 'iter_4.pth'))
    resume = det + ['default_hooks.checkpoint.interval=4']
    proc = run_tool(train_cmd(part, tiny_data_root, 8, extra=resume) + ['--resume'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'resumed' in (proc.stdout + proc.stderr).lower()

    a, b = _weights(osp.join(full, 'iter_8.pth')), _weights(osp.join(part, 'iter_8.pth'))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    # and the weights did change during the resumed half
    c = _weights(osp.join(part, 'iter_4.pth'))
    assert any(not torch.equal(a[k], c[k]) for k in a if a[k].is_floating_point())


@pytest.mark.slow
def test_two_process_training(tmp_path, tiny_data_root):
    work_dir = str(tmp_path / 'dist')
    cmd = train_cmd(work_dir, tiny_data_root, 4)
    # tools/dist_train.sh CONFIG GPUS [options]; same interpreter as the tests
    script = osp.join(ROOT, 'tools', 'dist_train.sh')
    cmd = ['bash', script, cmd[2], '2'] + cmd[3:]
    port = str(29500 + os.getpid() % 1000)
    proc = run_tool(cmd, env=dict(PYTHON=cmd_python(), PORT=port, OMP_NUM_THREADS='1'))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    # both ranks ran: the log states a world size of 2 and each rank reported its iterations
    assert re.search(r'world_size:\s*2|Distributed training: True', out), out[-3000:]
    # the result was written once: one log folder, one checkpoint
    assert len(glob.glob(osp.join(work_dir, '*', '*.log'))) == 1
    assert sorted(glob.glob(osp.join(work_dir, '*.pth'))) == [osp.join(work_dir, 'iter_4.pth')]


def cmd_python():
    import sys
    return sys.executable
