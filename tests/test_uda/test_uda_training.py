# Copyright (c) mmuda contributors. All rights reserved.
"""Short real UDA training runs through tools/train.py on the tiny synthetic domains."""
import glob
import json
import os
import os.path as osp
import sys

import cv2
import pytest
import torch

import mmuda  # noqa: F401  (allow-lists the classes of mmengine checkpoints)

from ..helpers import ROOT, run_tool, train_cmd

MIC_CFG = osp.join(ROOT, 'configs/mic/mic-dacs_segformer-mitb0_1k_synthetic-src2tgt.py')


def _uda_options(data_root, iters):
    """The tiny settings for a UDADataset config (source and target datasets)."""
    opts = []
    for domain in ('source', 'target'):
        key = f'train_dataloader.dataset.{domain}'
        opts += [f'{key}.data_root={data_root}', f'{key}.num_images.train=16',
                 f'{key}.num_images.val=4', f'{key}.img_size=(64,128)',
                 f'{key}.pipeline.{1 if domain == "target" else 2}.scale=(128,64)',
                 f'{key}.pipeline.{2 if domain == "target" else 3}.crop_size=(64,128)']
    return opts + ['train_dataloader.dataset.rare_class_sampling.min_pixels=20',
                   'model.model.data_preprocessor.size=(64,128)',
                   'custom_hooks.1.block_size=16']


@pytest.mark.slow
def test_mic_training_run(tmp_path, tiny_data_root):
    work_dir = str(tmp_path / 'mic')
    cmd = train_cmd(work_dir, tiny_data_root, 30, config=MIC_CFG, synthetic_train=False,
                    extra=_uda_options(tiny_data_root, 30))
    # DictAction cannot add a list item: append the hook in a config file instead
    cfg = tmp_path / 'mic_vis.py'
    cfg.write_text(f'_base_ = [{MIC_CFG!r}]\n'
                   'custom_hooks = [dict(type="EMATeacherHook", alpha=0.999),\n'
                   '                dict(type="MaskingHook", mask_ratio=0.7, block_size=32),\n'
                   '                dict(type="UDAVisualizationHook", interval=15)]\n')
    cmd[2] = str(cfg)
    proc = run_tool(cmd)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in open(glob.glob(
        osp.join(work_dir, '*', 'vis_data', 'scalars.json'))[0])]
    src = [r['src.loss'] for r in rows if 'src.loss' in r]
    assert len(src) == 30 and sum(src[-5:]) < 0.7 * sum(src[:5])
    assert all('masked.loss' in r and 'mix.loss' in r for r in rows if 'src.loss' in r)
    # the visualisation: 2 rows x 8 panels (src, label, tgt, pseudo, pred, mix, mix label,
    # masked) of 64 x 128
    images = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'vis_image', 'uda_vis_*.png')))
    assert [osp.basename(p) for p in images] == ['uda_vis_15.png', 'uda_vis_30.png']
    assert cv2.imread(images[0]).shape == (2 * 64, 8 * 128, 3)
    # the checkpoint holds student and teacher; the teacher tracks the student (EMA)
    state = torch.load(osp.join(work_dir, 'iter_30.pth'), map_location='cpu',
                       weights_only=True)['state_dict']
    key = 'decode_head.conv_seg.weight'
    student, teacher = state[f'student.{key}'], state[f'teacher.{key}']
    assert not torch.equal(student, teacher)
    assert (student - teacher).abs().mean() < student.abs().mean()


@pytest.mark.slow
def test_dacs_two_process_training(tmp_path, tiny_data_root):
    """DDP on CPU with several backward passes: gradients averaged once before the step."""
    dacs = osp.join(ROOT, 'configs/daformer/dacs_segformer-mitb0_1k_synthetic-src2tgt.py')
    work_dir = str(tmp_path / 'dist')
    cmd = train_cmd(work_dir, tiny_data_root, 3, config=dacs, synthetic_train=False,
                    extra=_uda_options(tiny_data_root, 3)[:-1] + ['log_level=DEBUG'])
    # each process dumps its buffers after training (student and teacher BN statistics)
    config = tmp_path / 'dacs_dump.py'
    config.write_text(f'_base_ = [{dacs!r}]\n'
                      "custom_imports = dict(imports=['tests.dump_buffers_hook'])\n"
                      "custom_hooks = [dict(type='EMATeacherHook', alpha=0.99),\n"
                      "                dict(type='DumpBuffersHook')]\n")
    cmd = ['bash', osp.join(ROOT, 'tools', 'dist_train.sh'), str(config), '2'] + cmd[3:]
    port = str(29600 + os.getpid() % 1000)
    proc = run_tool(cmd, env=dict(PYTHON=sys.executable, PORT=port, OMP_NUM_THREADS='1'))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*rank*.log')))
    assert len(logs) == 2
    for log in logs:
        assert 'Iter(train) [3/3]' in open(log).read()
    assert glob.glob(osp.join(work_dir, 'iter_*.pth')) == [osp.join(work_dir, 'iter_3.pth')]
    rank0, rank1 = (torch.load(osp.join(work_dir, f'buffers_rank{r}.pth'), weights_only=True)
                    for r in (0, 1))
    assert any(k.startswith('teacher.') and 'running_var' in k for k in rank0)
    for key in rank0:  # rank 0's buffers everywhere
        assert torch.equal(rank0[key], rank1[key]), key


@pytest.mark.slow
def test_benchmark_train_tool(tmp_path, tiny_data_root):
    """The training benchmark times every pass of a MIC step, inside the step and alone."""
    out = str(tmp_path / 'bench.json')
    cmd = train_cmd(str(tmp_path / 'unused'), tiny_data_root, 6, config=MIC_CFG,
                    synthetic_train=False, extra=_uda_options(tiny_data_root, 6),
                    tool='tools/analysis_tools/benchmark_train.py')
    cmd.remove('--work-dir')
    cmd.remove(str(tmp_path / 'unused'))
    proc = run_tool(cmd[:2] + ['--iters', '3', '--warmup', '1', '--out', out] + cmd[2:])
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.load(open(out))
    passes = ['source', 'teacher', 'mix', 'masked']
    assert list(result['passes_in_step_s']) == passes
    assert list(result['passes_alone_s']) == passes
    assert all(v > 0 for v in result['passes_alone_s'].values())
    # a step runs every pass: it cannot take less than most of their sum
    in_step = sum(result['passes_in_step_s'].values())
    assert 0 < in_step <= result['step_s']
    assert result['step_over_sum_of_passes_alone'] == pytest.approx(
        result['step_s'] / sum(result['passes_alone_s'].values()))
    assert result['peak_memory_mb'] > 0 and result['data_wait_s'] >= 0


@pytest.mark.slow
def test_dacs_without_its_teacher_hook_does_not_train(tmp_path, tiny_data_root):
    """A DACS config whose custom_hooks lost EMATeacherHook would train against its initial
    teacher forever; it stops at the first step, naming the hook."""
    dacs = osp.join(ROOT, 'configs/daformer/dacs_segformer-mitb0_1k_synthetic-src2tgt.py')
    work_dir = str(tmp_path / 'no_hook')
    cmd = train_cmd(work_dir, tiny_data_root, 3, config=dacs, synthetic_train=False,
                    extra=_uda_options(tiny_data_root, 3)[:-1] + ['custom_hooks=[]'])
    proc = run_tool(cmd)
    assert proc.returncode != 0
    assert "DACS needs the hook(s) ['EMATeacherHook']" in proc.stdout + proc.stderr
    assert not glob.glob(osp.join(work_dir, '*.pth'))
