# Copyright (c) mmuda contributors. All rights reserved.
"""Stop a short run, resume it (weights_only loading), and get the weights of the run that
was never interrupted, bit for bit: for every method (several passes per step, EMA teachers,
masks, domain classifiers with dropout, random RoI sampling)."""
import os.path as osp
import sys

import pytest
import torch

import mmuda  # noqa: F401  (allow-lists the classes of mmengine checkpoints)

from ..helpers import ROOT, run_tool, train_cmd
from ..test_cls.test_cls_training import cls_train_cmd
from ..test_det.test_det_training import det_train_cmd
from ..test_uda.test_uda_training import _uda_options
from ..test_uda.test_video_training import video_train_cmd

SEG = {
    'dacs': 'configs/daformer/dacs_segformer-mitb0_1k_synthetic-src2tgt.py',
    'mic': 'configs/mic/mic-dacs_segformer-mitb0_1k_synthetic-src2tgt.py',
    # two optimizers (segmentor SGD/AdamW, discriminators Adam), the cosine dictionary
    'cossim_advent': 'configs/cossim/cossim-advent_deeplabv2-r18_1k_synthetic-src2tgt.py',
    # projection heads on student and teacher, the class re-weighting's running confidence
    't2sda': 'configs/t2sda/t2sda_segformer-mitb0_1k_synthetic-src2tgt.py',
    # HRDA's random detail crop (drawn from the step's generator), MIC on its loss
    'mic_hrda': 'configs/mic/mic-hrda_segformer-mitb0_1k_synthetic-hr-src2tgt.py',
}
#: the HRDA geometry on the tiny 64 x 128 images
HRDA_OPTIONS = ['model.model.hr_crop_size=(32,64)', 'data_preprocessor.size=(64,128)']
DET = {
    'da_faster': 'da_faster/da-faster_faster-rcnn-r18-c4_300_synthetic-clear2fog.py',
    'visga': 'visga/visga_faster-rcnn-r18-c4_300_synthetic-clear2fog.py',
    # every target image gets pseudo-boxes from the untrained teacher: the masked pass runs
    'mic_det': 'mic/mic-da-faster_faster-rcnn-r18-c4_300_synthetic-clear2fog.py',
}
#: video methods (frame pairs, flows; DA-VSN: four discriminators, TPS: pseudo-labels)
VIDEO = ('davsn', 'tps')
#: classification (SAM's two passes, the CDAN discriminator, MIC's teacher and its draw of
#: the augmentation)
CLS = {'mic_cls': 'configs/mic/mic-sdat_cls-r18_1k_synthetic-src2tgt.py'}
ITERS = 6


def _cmd(method, work_dir, data_root, extra):
    if method in VIDEO:
        return video_train_cmd(method, work_dir, data_root, ITERS, extra)
    if method in CLS:
        return cls_train_cmd(CLS[method], work_dir, data_root, ITERS, extra)
    if method in SEG:
        config = osp.join(ROOT, SEG[method])
        return train_cmd(work_dir, data_root, ITERS, config=config, synthetic_train=False,
                         extra=_uda_options(data_root, ITERS)[
                             :None if method in ('mic', 'mic_hrda') else -1]
                         + (HRDA_OPTIONS if method == 'mic_hrda' else []) + extra)
    cmd = det_train_cmd(DET[method], work_dir, data_root, ITERS) + extra
    if method == 'mic_det':
        cmd.append('model.mic.pseudo_threshold=0.0')
    cmd[0] = sys.executable
    return cmd


def _weights(path):
    return torch.load(path, map_location='cpu', weights_only=True)['state_dict']


@pytest.mark.slow
@pytest.mark.parametrize('method', list(SEG) + list(DET) + list(VIDEO) + list(CLS))
def test_resume_is_bit_identical(method, tmp_path, tmp_path_factory):
    kind = 'seg' if method in SEG else 'video' if method in VIDEO else \
        'cls' if method in CLS else 'det'
    data_root = str(tmp_path_factory.getbasetemp() / f'resume_{kind}')
    det = ['randomness.seed=3', 'randomness.deterministic=True']
    full = str(tmp_path / 'full')
    proc = run_tool(_cmd(method, full, data_root, det))
    assert proc.returncode == 0, proc.stderr[-3000:]
    part = str(tmp_path / 'part')
    half = ITERS // 2
    proc = run_tool(_cmd(method, part, data_root, det + [
        f'default_hooks.checkpoint.interval={half}', f'train_cfg.max_iters={half}']))
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = run_tool(_cmd(method, part, data_root, det + [
        f'default_hooks.checkpoint.interval={half}', 'default_hooks.checkpoint.max_keep_ckpts=2'
    ]) + ['--resume'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f'resumed epoch: 0, iter: {half}' in proc.stdout + proc.stderr
    a, b = _weights(osp.join(full, f'iter_{ITERS}.pth')), _weights(osp.join(part,
                                                                           f'iter_{ITERS}.pth'))
    assert a.keys() == b.keys()
    differ = [k for k in a if not torch.equal(a[k], b[k])]
    assert not differ, differ[:10]
    # the teacher (and the domain classifiers) are in the checkpoint and moved
    c = _weights(osp.join(part, f'iter_{half}.pth'))
    moved = {k.split('.')[0] for k in a
             if a[k].is_floating_point() and not torch.equal(a[k], c[k])}
    assert 'student' in moved
    if method in ('dacs', 'mic', 'mic_det', 't2sda', 'mic_cls', 'mic_hrda'):
        assert 'teacher' in moved
    if method == 't2sda':
        assert 'reweighting' in moved
    if method in DET:
        assert {'img_da_head', 'ins_da_head'} <= moved
    if method in ('cossim_advent', 'davsn'):
        assert 'discriminators' in moved
    if method == 'cossim_advent':
        assert 'cossim' in moved
    if method == 'mic_cls':
        assert 'discriminator' in moved
    if method == 'mic_hrda':  # the attention head trains
        assert any('scale_attention' in k and not torch.equal(a[k], c[k]) for k in a
                   if a[k].is_floating_point())
