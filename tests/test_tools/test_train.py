# Copyright (c) mmuda contributors. All rights reserved.
"""Real training runs through tools/train.py on the tiny synthetic domains."""
import glob
import json
import os
import os.path as osp
import sys

import pytest
import torch

import mmuda  # noqa: F401  (allow-lists the classes of mmengine checkpoints)

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
    # the final validation on the target split ran and logged mIoU
    assert any('mIoU' in r for r in rows)
    assert osp.isfile(osp.join(work_dir, 'iter_40.pth'))


@pytest.mark.slow
def test_resume_reproduces_uninterrupted_run(tmp_path, tiny_data_root):
    det = ['randomness.seed=3', 'randomness.deterministic=True']
    full = str(tmp_path / 'full')
    proc = run_tool(train_cmd(full, tiny_data_root, 8, extra=det))
    assert proc.returncode == 0, proc.stderr[-3000:]

    # the same run, stopped after 4 iterations ...
    part = str(tmp_path / 'part')
    stop = det + ['default_hooks.checkpoint.interval=4', 'train_cfg.max_iters=4']
    proc = run_tool(train_cmd(part, tiny_data_root, 8, extra=stop))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert osp.isfile(osp.join(part, 'iter_4.pth'))
    # ... and resumed (torch.load with weights_only=True) from iter_4.pth to 8
    resume = det + ['default_hooks.checkpoint.interval=4',
                    'default_hooks.checkpoint.max_keep_ckpts=2']
    proc = run_tool(train_cmd(part, tiny_data_root, 8, extra=resume) + ['--resume'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 4' in proc.stdout + proc.stderr

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
    cmd = train_cmd(work_dir, tiny_data_root, 4, extra=['log_level=DEBUG'])
    # each process dumps its buffers (BN running statistics) after training
    config = tmp_path / 'dump_buffers.py'
    config.write_text(f'_base_ = [{cmd[2]!r}]\n'
                      "custom_imports = dict(imports=['tests.dump_buffers_hook'])\n"
                      "custom_hooks = [dict(type='DumpBuffersHook')]\n")
    # tools/dist_train.sh CONFIG GPUS [train.py options], run with the tests' interpreter
    cmd = ['bash', osp.join(ROOT, 'tools', 'dist_train.sh'), str(config), '2'] + cmd[3:]
    port = str(29500 + os.getpid() % 1000)
    # a rank that aborts prints the Python stack of each of its threads (faulthandler)
    proc = run_tool(cmd, env=dict(PYTHON=sys.executable, PORT=port, OMP_NUM_THREADS='1',
                                  PYTHONFAULTHANDLER='1'))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    # both ranks ran all iterations: with log_level=DEBUG mmengine writes one log per rank
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*rank*.log')))
    assert [log.rsplit('rank', 1)[1] for log in logs] == ['0.log', '1.log'], logs
    for log in logs:
        with open(log) as f:
            text = f.read()
        assert 'Iter(train) [4/4]' in text, log
    with open(logs[0]) as f:
        env_info = f.read()
    assert 'Distributed training: True' in env_info and 'GPU number: 2' in env_info
    assert "'backend': 'gloo'" in env_info  # the header names the backend really used
    # the result was written once: one checkpoint, one timestamp folder
    assert glob.glob(osp.join(work_dir, 'iter_*.pth')) == [osp.join(work_dir, 'iter_4.pth')]
    assert len(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))) == 1
    # both processes hold rank 0's buffers (their BN statistics saw different images) ...
    rank0, rank1 = (torch.load(osp.join(work_dir, f'buffers_rank{r}.pth'), weights_only=True)
                    for r in (0, 1))
    assert any('running_mean' in k for k in rank0)
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
    # ... so the validation at the end of the 2-process run (each rank evaluates half of the
    # images) equals a 1-process test of the saved checkpoint
    val = [r for r in _scalars(work_dir) if 'mIoU' in r][-1]['mIoU']
    test = train_cmd(str(tmp_path / 'test'), tiny_data_root, 4, tool='tools/test.py')
    test = test[:3] + [osp.join(work_dir, 'iter_4.pth')] + test[3:]
    proc = run_tool(test)
    assert proc.returncode == 0, proc.stderr[-3000:]
    tested = json.load(open(glob.glob(osp.join(str(tmp_path / 'test'), '*', '*.json'))[0]))
    assert tested['mIoU'] == val


@pytest.mark.slow
def test_mim_train_then_test_with_show_dir(tmp_path, tiny_data_root):
    """The plugin path: `mim train mmuda <config name>`, then tools/test.py --show-dir."""
    work_dir = str(tmp_path / 'mim')
    cmd = train_cmd(work_dir, tiny_data_root, 2)
    mim = osp.join(osp.dirname(sys.executable), 'mim')
    # mim finds the config by its file name inside mmuda/.mim/configs
    cmd = [mim, 'train', 'mmuda', osp.basename(cmd[2])] + cmd[3:]
    proc = run_tool(cmd, cwd=str(tmp_path))
    assert proc.returncode == 0 and osp.isfile(osp.join(work_dir, 'iter_2.pth')), \
        (proc.stdout + proc.stderr)[-3000:]

    show_dir = 'painted'
    test = train_cmd(work_dir, tiny_data_root, 2, tool='tools/test.py')
    test = test[:3] + [osp.join(work_dir, 'iter_2.pth'), '--show-dir', show_dir] + test[3:]
    proc = run_tool(test)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'mIoU' in proc.stdout
    painted = glob.glob(osp.join(work_dir, show_dir, '**', '*.png'), recursive=True)
    # one painted prediction per target val image
    assert len(painted) == 4, painted
