# Copyright (c) mmuda contributors. All rights reserved.
"""Short real runs of the adversarial family through the tools (tools/train.py, two-process
DDP, the training benchmark) on the tiny synthetic domains."""
import glob
import json
import os
import os.path as osp
import sys

import pytest
import torch

import mmuda  # noqa: F401  (allow-lists the classes of mmengine checkpoints)

from ..helpers import ROOT, run_tool, train_cmd
from .test_uda_training import _uda_options

ADVENT_CFG = osp.join(ROOT, 'configs/advent/advent_deeplabv2-r18_1k_synthetic-src2tgt.py')


def _cmd(work_dir, data_root, iters, config=ADVENT_CFG, extra=()):
    return train_cmd(work_dir, data_root, iters, config=config, synthetic_train=False,
                     extra=_uda_options(data_root, iters)[:-1] + list(extra))


@pytest.mark.slow
def test_advent_training_run(tmp_path, tiny_data_root):
    """The source loss falls, the discriminators train (their loss stays near 4 x log(2) / 2
    per level, neither collapsing nor exploding), both optimizers are checkpointed."""
    work_dir = str(tmp_path / 'advent')
    proc = run_tool(_cmd(work_dir, tiny_data_root, 20))
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in open(glob.glob(
        osp.join(work_dir, '*', 'vis_data', 'scalars.json'))[0])]
    rows = [r for r in rows if 'src.loss' in r]
    src = [r['src.loss'] for r in rows]
    assert len(src) == 20 and sum(src[-5:]) < 0.8 * sum(src[:5])
    assert all(0.5 < r['disc.loss'] < 2.5 and r['tgt.loss_adv_decode'] > 0 for r in rows)
    assert all('segmentor.lr' in r and 'discriminator.lr' in r for r in rows)
    ckpt = torch.load(osp.join(work_dir, 'iter_20.pth'), map_location='cpu',
                      weights_only=True)
    assert set(ckpt['optimizer']) == {'segmentor', 'discriminator'}
    assert any(k.startswith('discriminators.decode.') for k in ckpt['state_dict'])


@pytest.mark.slow
def test_advent_two_process_training(tmp_path, tiny_data_root):
    """DDP on CPU with two optimizers: every process ends with the same segmentor AND
    discriminator weights (both gradients averaged before the steps)."""
    work_dir = str(tmp_path / 'dist')
    cmd = _cmd(work_dir, tiny_data_root, 3, extra=['log_level=DEBUG'])
    config = tmp_path / 'advent_dump.py'
    config.write_text(f'_base_ = [{ADVENT_CFG!r}]\n'
                      "custom_imports = dict(imports=['tests.dump_buffers_hook'])\n"
                      "custom_hooks = [dict(type='DumpBuffersHook', with_params=True)]\n")
    cmd = ['bash', osp.join(ROOT, 'tools', 'dist_train.sh'), str(config), '2'] + cmd[3:]
    port = str(29700 + os.getpid() % 1000)
    proc = run_tool(cmd, env=dict(PYTHON=sys.executable, PORT=port, OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    rank0, rank1 = (torch.load(osp.join(work_dir, f'buffers_rank{r}.pth'), weights_only=True)
                    for r in (0, 1))
    assert any(k.startswith('discriminators.aux.') for k in rank0)
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key


@pytest.mark.slow
def test_benchmark_splits_the_adversarial_step(tmp_path, tiny_data_root):
    out = str(tmp_path / 'bench.json')
    cmd = _cmd(str(tmp_path / 'unused'), tiny_data_root, 4)
    cmd[1] = osp.join(ROOT, 'tools/analysis_tools/benchmark_train.py')
    cmd.remove('--work-dir')
    cmd.remove(str(tmp_path / 'unused'))
    proc = run_tool(cmd[:2] + ['--iters', '2', '--warmup', '1', '--out', out] + cmd[2:])
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.load(open(out))
    passes = ['source', 'target', 'discriminator']
    assert list(result['passes_in_step_s']) == passes == list(result['passes_alone_s'])
    assert all(v > 0 for v in result['passes_alone_s'].values())
