# Copyright (c) mmuda contributors. All rights reserved.
"""Seeing what a UDA model does: the UDAVisualizationHook during training (segmentation and
detection), tools/test.py --show-dir and --tta on tiny trained runs."""
import copy
import glob
import os.path as osp
import sys
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.structures import SegDataSample

from mmuda.engine import UDAVisualizationHook
from mmuda.models import DACS, UDASegTTAModel
from mmuda.registry import MODELS
from mmuda.utils import register_all_modules

from ..helpers import ROOT, run_tool, train_cmd
from ..test_det.test_det_training import det_train_cmd
from .test_configs import CONFIGS
from ..test_uda.test_uda_training import MIC_CFG, _uda_options

MIC_DET_CFG = osp.join(ROOT, 'configs/mic/'
                       'mic-da-faster_faster-rcnn-r18-c4_300_synthetic-clear2fog.py')
ITERS = 2


def _with_vis_hook(tmp_path, base: str, hooks: str) -> str:
    """A config: ``base`` with its custom hooks and the UDAVisualizationHook at interval 1
    (DictAction cannot append to a list)."""
    path = tmp_path / 'vis.py'
    path.write_text(f'_base_ = [{base!r}]\ncustom_hooks = [{hooks}\n'
                    '    dict(type="UDAVisualizationHook", interval=1)]\n')
    return str(path)


def _vis_images(work_dir):
    return sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'vis_image', 'uda_vis_*.png')))


def _test_cmd(train: list, checkpoint: str, *args) -> list:
    """tools/test.py with the options of a tools/train.py command."""
    cmd = list(train)
    cmd[1] = osp.join(ROOT, 'tools', 'test.py')
    return cmd[:3] + [checkpoint, *args] + cmd[3:]


@pytest.fixture(scope='module')
def seg_run(tmp_path_factory, tiny_data_root):
    """DACS + MIC trained for 2 iterations on the tiny domains with the hook at interval 1."""
    tmp = tmp_path_factory.mktemp('seg_vis')
    work_dir = str(tmp / 'work')
    cmd = train_cmd(work_dir, tiny_data_root, ITERS, config=MIC_CFG, synthetic_train=False,
                    extra=_uda_options(tiny_data_root, ITERS))
    cmd[2] = _with_vis_hook(tmp, MIC_CFG, 'dict(type="EMATeacherHook", alpha=0.99),'
                            'dict(type="MaskingHook", mask_ratio=0.7, block_size=16),')
    proc = run_tool(cmd)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work_dir, cmd


@pytest.fixture(scope='module')
def det_run(tmp_path_factory):
    """MIC(DA-Faster) trained for 2 iterations on tiny domains (96 x 192) with the hook at
    interval 1; every teacher box is a pseudo-box (threshold 0), so MIC masks every image."""
    tmp = tmp_path_factory.mktemp('det_vis')
    work_dir = str(tmp / 'work')
    data_root = str(tmp_path_factory.getbasetemp() / 'det_domains')
    cmd = det_train_cmd(MIC_DET_CFG, work_dir, data_root, ITERS)
    cmd[0] = sys.executable
    cmd[2] = _with_vis_hook(tmp, MIC_DET_CFG,
                            'dict(type="EMATeacherHook", alpha=0.9, update_buffers=True),'
                            'dict(type="MaskingHook", mask_ratio=0.5, block_size=8),')
    cmd += ['model.mic.pseudo_threshold=0.0', 'tta_pipeline.1.transforms.0.0.scale=(192,96)']
    proc = run_tool(cmd)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work_dir, cmd


# ---------------------------------------------------------------------- the hook
def test_hook_needs_a_uda_model():
    hook = UDAVisualizationHook(interval=1)
    runner = SimpleNamespace(model=torch.nn.Conv2d(3, 3, 1))
    with pytest.raises(TypeError, match='UDA model .* the model is Conv2d'):
        hook.before_run(runner)


@pytest.mark.slow
def test_hook_segmentation_panels(seg_run):
    work_dir, _ = seg_run
    images = _vis_images(work_dir)
    # one picture per iteration through the LocalVisBackend
    assert [osp.basename(p) for p in images] == ['uda_vis_1.png', 'uda_vis_2.png']
    # 2 rows x 8 panels of 64 x 128: source, its label, target, pseudo-label, prediction,
    # mixed image, mixed label, masked image
    img = cv2.imread(images[-1])
    assert img.shape == (2 * 64, 8 * 128, 3)
    panels = [img[:64, j * 128:(j + 1) * 128] for j in range(8)]
    # label panels hold palette colours only (ignored pixels black)
    palette = {(0, 0, 0)} | {tuple(c[::-1]) for c in
                            [[128, 64, 128], [244, 35, 232], [70, 70, 70], [107, 142, 35],
                             [70, 130, 180], [0, 0, 142], [220, 20, 60], [220, 220, 0]]}
    for j in (1, 3, 4, 6):
        assert {tuple(c) for c in panels[j].reshape(-1, 3)} <= palette, j
    # MIC's masked image: whole 16 px blocks of the pre-processor's mean colour (0 after
    # normalisation), ~70 % of them
    masked = panels[7][::16, ::16].reshape(-1, 3).astype(int)
    mean_bgr = np.array([103.53, 116.28, 123.675])
    share = (np.abs(masked - mean_bgr).max(1) <= 1).mean()
    assert 0.4 < share < 0.95, share


@pytest.mark.slow
def test_hook_detection_panels(det_run):
    work_dir, _ = det_run
    images = _vis_images(work_dir)
    assert [osp.basename(p) for p in images] == ['uda_vis_1.png', 'uda_vis_2.png']
    # 2 rows x 4 panels of 96 x 192: source + boxes, target + pseudo-boxes, target + the
    # student's boxes, masked target
    img = cv2.imread(images[-1]).astype(int)
    assert img.shape == (2 * 96, 4 * 192, 3)
    for row in range(2):
        panels = [img[row * 96:(row + 1) * 96, j * 192:(j + 1) * 192] for j in range(4)]
        # the masked image is drawn (the teacher kept boxes on every image) and masked:
        # whole 8 px blocks of the pre-processor's mean colour
        blocks = panels[3][::8, ::8].reshape(-1, 3)
        share = (np.abs(blocks - np.array([103.53, 116.28, 123.675])).max(1) <= 1).mean()
        assert 0.2 < share < 0.8, share
        # boxes are drawn: the source panel has pixels in a class colour (car (0, 0, 142),
        # person (220, 20, 60); BGR here) that differ from the plain target image
        car, person = np.array([142, 0, 0]), np.array([60, 20, 220])
        coloured = (np.abs(panels[0] - car).max(-1) < 30) | \
            (np.abs(panels[0] - person).max(-1) < 30)
        assert coloured.sum() > 20
        # the pseudo-box panel is the target image plus boxes
        assert (panels[1] != panels[2]).any()


# ---------------------------------------------------------------------- tools/test.py
@pytest.mark.slow
def test_show_dir_detection(det_run):
    """The detection visualiser paints every val image (it crashed on list palettes)."""
    work_dir, cmd = det_run
    proc = run_tool(_test_cmd(cmd, osp.join(work_dir, f'iter_{ITERS}.pth'),
                              '--show-dir', 'painted'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'coco/bbox_mAP_50' in proc.stdout
    painted = glob.glob(osp.join(work_dir, 'painted', '**', '*.png'), recursive=True)
    assert len(painted) == 4, painted


@pytest.mark.slow
@pytest.mark.parametrize('run, metric', [('det_run', 'coco/bbox_mAP_50'), ('seg_run', 'mIoU')])
def test_tta(run, metric, request):
    work_dir, cmd = request.getfixturevalue(run)
    proc = run_tool(_test_cmd(cmd, osp.join(work_dir, f'iter_{ITERS}.pth'), '--tta'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'Iter(test)' in proc.stdout and metric in proc.stdout
    assert 'missing keys' not in proc.stdout + proc.stderr


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_every_config_defines_tta(path):
    """Each benchmark config can be tested with --tta: its TTA pipeline builds, and its
    wrapper is the task's (flip + multi-scale for segmentation, flip for detection)."""
    register_all_modules()
    cfg = Config.fromfile(path)
    with DefaultScope.overwrite_default_scope('mmuda'):
        Compose(cfg.tta_pipeline)
        assert MODELS.get(cfg.tta_model.type) is not None
    tta = next(t for t in cfg.tta_pipeline if t.type == 'TestTimeAug').transforms
    flips = sorted(t.prob for t in tta[1])
    assert flips == [0.0, 1.0]
    if 'decode_head' in cfg.model.get('model', cfg.model):  # segmentation
        assert cfg.tta_model.type == 'UDASegTTAModel' and len(tta[0]) == 6
    elif 'bottleneck_dim' in cfg.model.get('model', cfg.model):  # classification
        assert cfg.tta_model.type == 'ClsTTAModel' and len(tta[0]) == 1
    else:  # DetTTAModel un-flips the boxes with the views' flip metainfo
        assert cfg.tta_model.type == 'mmdet.DetTTAModel' and len(tta[0]) == 1
        assert {'flip', 'flip_direction'} <= set(tta[-1][0].meta_keys)


def test_tta_without_config_keys_fails(tmp_path):
    cfg = tmp_path / 'no_tta.py'
    cfg.write_text('model = dict(type="DACS")\n'
                   'test_dataloader = dict(dataset=dict(pipeline=[]))\n')
    proc = run_tool(_test_cmd([sys.executable, 'train.py', str(cfg)], 'none.pth', '--tta',
                              '--work-dir', str(tmp_path / 'work')))
    assert proc.returncode != 0
    assert '--tta needs tta_model and tta_pipeline in the config' in proc.stderr
    assert not osp.exists(tmp_path / 'work')


@pytest.mark.parametrize('evaluated', ['student', 'teacher'])
def test_seg_tta_merges_the_evaluated_networks_views(evaluated):
    """UDASegTTAModel around DACS: each view through the UDA model's pre-processor and the
    evaluated network; the merged label is the argmax of the views' mean softmax."""
    register_all_modules()
    segmentor = copy.deepcopy(Config.fromfile(
        osp.join(ROOT, 'configs/_base_/models/segformer_mit-b0.py')).model)
    uda = DACS(model=segmentor, test_cfg=dict(model=evaluated))
    uda.init_weights()
    torch.manual_seed(0)
    uda.teacher.decode_head.conv_seg.weight.data.normal_(std=1.0)  # differs from the student
    tta = UDASegTTAModel(module=uda).eval()
    h, w = 64, 128
    img = torch.randint(0, 256, (3, h, w), generator=torch.Generator().manual_seed(1),
                        dtype=torch.uint8)

    def sample(flip):
        return SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w), flip=flip,
                                           flip_direction='horizontal' if flip else None,
                                           img_path='x.png'))

    views = dict(inputs=[[img], [img.flip(-1)]], data_samples=[[sample(False)], [sample(True)]])
    with torch.no_grad():
        merged = tta.test_step(views)[0].pred_sem_seg.data

        def probs(net, image):  # BGR -> RGB, normalised, as the pre-processor
            x = (image[[2, 1, 0]].float() - net.data_preprocessor.mean) / \
                net.data_preprocessor.std
            return net.encode_decode(x[None], [dict(img_shape=(h, w))] * 1).softmax(1)[0]

        def expected(net):
            return (probs(net, img) + probs(net, img.flip(-1)).flip(-1)).argmax(0)

        other = 'teacher' if evaluated == 'student' else 'student'
        assert torch.equal(merged[0], expected(getattr(uda, evaluated)))
        assert not torch.equal(merged[0], expected(getattr(uda, other)))
