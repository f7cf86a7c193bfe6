# Copyright (c) mmuda contributors. All rights reserved.
"""What tools/train.py and tools/test.py guarantee when things go wrong (docs/guarantees.md):
divergence, Ctrl-C, two runs in one work dir, config mistakes, unusable checkpoints."""
import glob
import os
import os.path as osp
import re
import signal
import socket
import subprocess
import time

import pytest
import torch

import mmuda  # noqa: F401  (allow-lists the classes of mmengine checkpoints)

from ..helpers import ROOT, run_tool, train_cmd
from ..test_uda.test_uda_training import MIC_CFG, _uda_options

DETERMINISTIC = ['randomness.seed=3', 'randomness.deterministic=True']


def _output(proc):
    return proc.stdout + proc.stderr


def _weights(path):
    return torch.load(path, map_location='cpu', weights_only=True)['state_dict']


def _start(cmd, log_path):
    """Start a tool in the background, its output going to ``log_path``."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''),
               PYTHONUNBUFFERED='1')
    log = open(log_path, 'w')
    return subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env), log


def _wait_for(log_path, pattern, proc, timeout=600):
    """Wait until the background tool's output matches ``pattern``; returns the match."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(log_path) as f:
            match = re.search(pattern, f.read())
        if match:
            return match
        assert proc.poll() is None, open(log_path).read()[-3000:]
        time.sleep(0.05)
    raise AssertionError(f'no {pattern!r} after {timeout} s')


def _timestamp_dirs(work_dir):
    return [d for d in glob.glob(osp.join(work_dir, '2*')) if osp.isdir(d)]


@pytest.mark.slow
def test_divergence_stops_at_the_first_nan_and_keeps_the_last_finite_checkpoint(
        tmp_path, tiny_data_root):
    """The issue's run: lr=1e6 makes the loss NaN within a few iterations. A checkpoint is
    saved every iteration, one kept: the one left is the last finite one."""
    work_dir = str(tmp_path / 'work')
    proc = run_tool(train_cmd(work_dir, tiny_data_root, 10, extra=[
        'optim_wrapper.optimizer.lr=1e6', 'default_hooks.checkpoint.interval=1']))
    out = _output(proc)
    assert proc.returncode == 1, out[-3000:]
    # the source-only config trains a plain mmseg model: the term is named, there is no pass
    match = re.search(r"Training diverged at iteration (\d+): loss term 'decode\.loss_ce' is "
                      r'(nan|inf)', out)
    assert match, out[-3000:]
    diverged = int(match.group(1))
    assert 1 < diverged < 10
    assert f'The last checkpoint, {osp.join(work_dir, f"iter_{diverged - 1}.pth")}' in out
    # no metric of a diverged model, no later checkpoint, the last one finite
    assert 'Iter(val)' not in out and 'Traceback' not in out
    assert [osp.basename(p) for p in glob.glob(osp.join(work_dir, '*.pth'))] == \
        [f'iter_{diverged - 1}.pth']
    weights = _weights(osp.join(work_dir, f'iter_{diverged - 1}.pth'))
    assert all(torch.isfinite(v).all() for v in weights.values() if v.is_floating_point())
    # the log of the run is kept and ends with the message
    logs = glob.glob(osp.join(work_dir, '*', '*.log'))
    assert len(logs) == 1 and 'Training diverged at iteration' in open(logs[0]).read()


@pytest.mark.slow
def test_divergence_of_a_uda_method_names_the_pass(tmp_path, tiny_data_root):
    """MIC runs three backward passes (src, mix, masked) before its one optimizer step."""
    work_dir = str(tmp_path / 'mic')
    proc = run_tool(train_cmd(work_dir, tiny_data_root, 6, config=MIC_CFG,
                              synthetic_train=False,
                              extra=_uda_options(tiny_data_root, 6) + [
                                  'optim_wrapper.optimizer.lr=1e6']))
    out = _output(proc)
    assert proc.returncode == 1, out[-3000:]
    match = re.search(r"Training diverged at iteration (\d+): loss term '((\w+)\.[\w.]+)' of "
                      r"pass '(\w+)' is (nan|inf)", out)
    assert match, out[-3000:]
    assert match.group(3) == match.group(4) and match.group(4) in ('src', 'mix', 'masked')
    assert 'Iter(val)' not in out and not glob.glob(osp.join(work_dir, '*.pth'))


@pytest.mark.slow
def test_ctrl_c_saves_a_checkpoint_that_resume_continues_exactly(tmp_path, tiny_data_root):
    work_dir = str(tmp_path / 'work')
    cmd = train_cmd(work_dir, tiny_data_root, 40, extra=DETERMINISTIC)
    log_path = str(tmp_path / 'interrupted.out')
    proc, log = _start(cmd, log_path)
    try:
        _wait_for(log_path, r'Iter\(train\) \[\s*12/40\]', proc)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    out = open(log_path).read()
    assert proc.returncode == 130, out[-3000:]
    stopped = int(re.search(r'Training stopped by Ctrl-C after iteration (\d+)', out).group(1))
    assert 12 <= stopped < 40
    # the logs stay, with the interrupted iteration logged; its checkpoint exists; no
    # validation ran, no later iteration
    logs = glob.glob(osp.join(work_dir, '*', '*.log'))
    assert len(logs) == 1 and f'Iter(train) [{stopped}/40]' in open(logs[0]).read()
    assert osp.isfile(osp.join(work_dir, f'iter_{stopped}.pth'))
    assert open(osp.join(work_dir, 'last_checkpoint')).read() == \
        osp.join(work_dir, f'iter_{stopped}.pth')
    assert 'Iter(val)' not in out and f'[{stopped + 1}/40]' not in out

    # --resume (the latest checkpoint) finishes the run ...
    proc = run_tool(cmd + ['--resume'])
    assert proc.returncode == 0, _output(proc)[-3000:]
    assert f'resumed epoch: 0, iter: {stopped}' in _output(proc)
    assert 'mIoU' in proc.stdout
    # ... with the weights of an uninterrupted run
    full = str(tmp_path / 'full')
    ref = run_tool(train_cmd(full, tiny_data_root, 40, extra=DETERMINISTIC))
    assert ref.returncode == 0, _output(ref)[-3000:]
    a, b = _weights(osp.join(full, 'iter_40.pth')), _weights(osp.join(work_dir, 'iter_40.pth'))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.mark.slow
def test_second_run_in_the_same_work_dir_is_refused(tmp_path, tiny_data_root):
    work_dir = str(tmp_path / 'work')
    first_log = str(tmp_path / 'first.out')
    first, log = _start(train_cmd(work_dir, tiny_data_root, 1000), first_log)
    try:
        _wait_for(first_log, r'Iter\(train\) \[\s*1/1000\]', first)
        second = run_tool(train_cmd(work_dir, tiny_data_root, 5))
        out = _output(second)
        assert second.returncode == 1, out[-3000:]
        assert f'is in use by another run (pid {first.pid} on host {socket.gethostname()}, ' \
               f'started ' in second.stderr, out[-3000:]
        # the second run wrote nothing: one log folder, the first run's
        assert len(_timestamp_dirs(work_dir)) == 1
        assert first.poll() is None  # the first run goes on
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=300) == 130
    finally:
        if first.poll() is None:
            first.kill()
        log.close()


def test_config_mistakes_are_reported_before_anything_is_written(tmp_path):
    work_dir = str(tmp_path / 'work')
    proc = run_tool(train_cmd(work_dir, str(tmp_path / 'data'), 2, extra=[
        'optim_wraper.optimizer.lr=0.1', 'default_hooks.checkpoint.max_keep_ckpt=2',
        'train_dataloader.dataset.pipeline.3.crop_size=(-64,128)']))
    assert proc.returncode == 1, _output(proc)[-3000:]
    err = proc.stderr
    assert 'has 3 mistake(s)' in err and 'Traceback' not in err
    assert "top-level key 'optim_wraper' is not read by the Runner; did you mean " \
           "'optim_wrapper'?" in err
    assert "default_hooks.checkpoint: unknown argument(s) 'max_keep_ckpt' (did you mean " \
           "'max_keep_ckpts'?)" in err
    assert 'train_dataloader.dataset.pipeline[3] (mmseg.RandomCrop): AssertionError in ' \
           'mmseg/datasets/transforms/transforms.py' in err
    assert not osp.exists(work_dir) and not osp.exists(str(tmp_path / 'data'))


def test_resume_without_a_checkpoint_is_an_error(tmp_path):
    work_dir = str(tmp_path / 'work')
    proc = run_tool(train_cmd(work_dir, str(tmp_path / 'data'), 2) + ['--resume'])
    assert proc.returncode == 1, _output(proc)[-3000:]
    assert f'--resume: there is no checkpoint to resume from in the work dir {work_dir}' in \
        proc.stderr and '--resume auto' in proc.stderr
    assert not osp.exists(work_dir)


@pytest.mark.slow
def test_resume_auto_starts_from_scratch_and_a_truncated_checkpoint_is_named(
        tmp_path, tiny_data_root):
    work_dir = str(tmp_path / 'work')
    cmd = train_cmd(work_dir, tiny_data_root, 2)
    proc = run_tool(cmd + ['--resume', 'auto'])
    assert proc.returncode == 0, _output(proc)[-3000:]
    assert f'--resume auto: no checkpoint in {work_dir}, training starts from scratch' in \
        _output(proc)
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    assert 'resumed' not in _output(proc) and osp.isfile(checkpoint)
    # a copy cut short: resuming from it names it, and the resumed set-up leaves nothing
    truncated = osp.join(work_dir, 'iter_3.pth')
    with open(checkpoint, 'rb') as src, open(truncated, 'wb') as dst:
        dst.write(src.read()[:100000])
    before = sorted(os.listdir(work_dir))
    proc = run_tool(cmd + ['--resume', truncated])
    out = _output(proc)
    assert proc.returncode == 1, out[-3000:]
    assert f'Cannot read checkpoint {truncated}: it is truncated or corrupt' in out
    assert f'Use an earlier checkpoint instead ({checkpoint}' in out
    assert 'weights_only' not in out and 'Traceback' not in out
    assert sorted(os.listdir(work_dir)) == before


def test_test_tool_failure_leaves_no_work_dir(tmp_path):
    """tools/test.py with a truncated checkpoint: a clear message, no half-written work dir."""
    checkpoint = str(tmp_path / 'iter_8.pth')
    torch.save(dict(state_dict=dict(w=torch.ones(10000))), checkpoint)
    with open(checkpoint, 'rb') as f:
        data = f.read()
    with open(checkpoint, 'wb') as f:
        f.write(data[:len(data) // 2])
    work_dir = str(tmp_path / 'work')
    cmd = train_cmd(work_dir, str(tmp_path / 'data'), 2, tool='tools/test.py')
    proc = run_tool(cmd[:3] + [checkpoint] + cmd[3:])
    assert proc.returncode == 1, _output(proc)[-3000:]
    assert f'Cannot read checkpoint {checkpoint}: it is truncated or corrupt' in proc.stderr
    assert 'Traceback' not in proc.stderr
    assert not osp.exists(work_dir)
