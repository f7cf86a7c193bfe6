# Copyright (c) mmuda contributors. All rights reserved.
"""GTA5 and Cityscapes: converters on small fakes in the real layouts, and the DAFormer / MIC
GTA5 -> Cityscapes configs running one step on them."""
import json
import os
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from PIL import Image

from mmuda.registry import DATASETS, MODELS
from mmuda.utils import register_all_modules

from ..helpers import ROOT, before_iteration, run_tool

# label ids of the fakes: road (7), car (26), sky (23), unlabelled (0), license plate (-1 ->
# stored as 255 by nobody; GTA uses 34 for it, which is ignored)
LABEL_IDS = np.array([[7, 7, 26, 26], [23, 0, 34, 26]], dtype=np.uint8)
TRAIN_IDS = np.array([[0, 0, 13, 13], [10, 255, 255, 13]], dtype=np.uint8)


def _label(h, w):
    return np.kron(LABEL_IDS, np.ones((h // 2, w // 4), np.uint8))


def _image(path, h, w, seed):
    os.makedirs(osp.dirname(path), exist_ok=True)
    rgb = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(path)


def make_fake_gta(root, n=2, h=64, w=128):
    for i in range(n):
        _image(osp.join(root, 'images', f'{i:05d}.png'), h, w, i)
        label = Image.fromarray(_label(h, w), mode='L').convert('P')  # a palette PNG
        os.makedirs(osp.join(root, 'labels'), exist_ok=True)
        label.save(osp.join(root, 'labels', f'{i:05d}.png'))


def make_fake_cityscapes(root, h=64, w=128):
    for split in ('train', 'val'):
        for i in range(2):
            stem = f'aachen_{i:06d}_000019'
            _image(osp.join(root, 'leftImg8bit', split, 'aachen', f'{stem}_leftImg8bit.png'),
                   h, w, i + 10)
            gt = osp.join(root, 'gtFine', split, 'aachen', f'{stem}_gtFine_labelIds.png')
            os.makedirs(osp.dirname(gt), exist_ok=True)
            Image.fromarray(_label(h, w), mode='L').save(gt)


def convert(tool, root):
    """Run a converter of tools/dataset_converters on ``root``."""
    return run_tool([sys.executable, osp.join(ROOT, 'tools/dataset_converters', tool), root,
                     '--nproc', '1'])


def test_gta_converter_maps_ids_and_writes_stats(tmp_path):
    root = str(tmp_path / 'gta')
    make_fake_gta(root)
    proc = convert('gta.py', root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = np.asarray(Image.open(osp.join(root, 'labels', '00000_labelTrainIds.png')))
    assert np.array_equal(out, np.kron(TRAIN_IDS, np.ones((32, 32), np.uint8)))
    stats = json.load(open(osp.join(root, 'class_stats.json')))
    assert stats['num_classes'] == 19
    assert stats['images'][0] == dict(seg_map='labels/00000_labelTrainIds.png',
                                      counts={'0': 2048, '10': 1024, '13': 3072})
    # re-running converts the originals again, not the train-id files
    proc = convert('gta.py', root)
    assert proc.returncode == 0 and 'converted 2 labels' in proc.stdout


def test_converters_name_the_missing_folder(tmp_path):
    for tool, expected in (('gta.py', 'labels'), ('cityscapes.py', 'gtFine')):
        proc = convert(tool, str(tmp_path))
        assert proc.returncode != 0
        assert f"no folder '{tmp_path / expected}'" in proc.stderr


def test_cityscapes_converter_and_dataset(tmp_path):
    root = str(tmp_path / 'cityscapes')
    make_fake_cityscapes(root)
    proc = convert('cityscapes.py', root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    stats = json.load(open(osp.join(root, 'class_stats.json')))
    assert len(stats['images']) == 2  # the train split only
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/datasets/'
                                         'uda_gta_to_cityscapes_512x512.py'))
    val = DATASETS.build(dict(cfg.target_val, data_root=root))
    assert len(val) == 2 and val.metainfo['classes'][13] == 'car'
    sample = val[0]['data_samples']
    # the image is resized to 1024 x 512, the label is not: predictions are scored at the
    # original resolution (mmseg's protocol)
    assert sample.img_shape == (512, 1024) and sample.ori_shape == (64, 128)
    assert sample.gt_sem_seg.data.shape == (1, 64, 128)
    assert set(sample.gt_sem_seg.data.unique().tolist()) == {0, 10, 13, 255}


@pytest.mark.slow
@pytest.mark.parametrize('config', [
    'configs/mic/mic-daformer_mitb5_1x2-40k_gta2cityscapes-512x512.py',
    'configs/mic/mic-hrda_daformer-mitb5_1x2-40k_gtaHR2cityscapesHR-1024x1024.py'])
def test_gta2cityscapes_config_trains_one_step(tmp_path, config):
    """The MIC(DAFormer) and MIC(HRDA) benchmark configs as released (MiT-B5, DAFormerHead,
    RCS, FD, MIC; HRDA's context and detail crops), with 64 x 64 crops (HRDA: 32 x 32 detail
    crops) and no pretrained weights, run one step on fake GTA5 and Cityscapes folders."""
    hrda = 'hrda' in config
    gta, cityscapes = str(tmp_path / 'gta'), str(tmp_path / 'cityscapes')
    make_fake_gta(gta)
    make_fake_cityscapes(cityscapes)
    for tool, root in (('gta.py', gta), ('cityscapes.py', cityscapes)):
        proc = convert(tool, root)
        assert proc.returncode == 0, proc.stderr[-2000:]
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, config))
    data = cfg.train_dataloader.dataset
    data.source.data_root, data.target.data_root = gta, cityscapes
    data.rare_class_sampling.min_pixels = 100
    for pipeline in (data.source.pipeline, data.target.pipeline):
        for t in pipeline:
            if t['type'] == 'mmseg.Resize':
                t['scale'] = (128, 64)
            if t['type'] == 'mmseg.RandomCrop':
                t['crop_size'] = (64, 64)
            if t['type'] == 'MarkPseudoMargins':  # HRDA's margins, on the small fake images
                t.update(top=2, bottom=8, left=2, right=2)
    dataset = DATASETS.build(data)
    assert dataset.rcs is not None
    student = cfg.model.model
    student.backbone.init_cfg = None  # no download in tests
    student.data_preprocessor.size = (64, 64)
    if hrda:
        student.hr_crop_size = (32, 32)
    model = MODELS.build(cfg.model)
    head = model.student.decode_head
    assert type(head.head if hrda else head).__name__ == 'DAFormerHead'
    assert model.imnet is not None  # ImageNet feature distance on thing classes
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    decay = {id(p): g['weight_decay'] for g in optim_wrapper.optimizer.param_groups
             for p in g['params']}
    stage_norm = model.student.backbone.layers[0][2].weight
    assert decay[id(stage_norm)] == 0  # no decay on the stage norms, as the reference
    batch = pseudo_collate([dataset[0], dataset[1]])
    log_vars = before_iteration(model, block_size=32).train_step(batch, optim_wrapper)
    assert torch.isfinite(log_vars['loss'])
    assert 'src.loss_imnet_feat_dist' in log_vars
    assert 'masked.loss' in log_vars
    if hrda:  # the detail loss, in each pass
        assert {'src.decode.hr.loss_ce', 'mix.decode.hr.loss_ce'} <= set(log_vars)
        assert 'pseudo_valid' in batch['data_samples']['target'][0]
        assert batch['data_samples']['target'][0].pseudo_valid.data.shape == (1, 64, 64)
