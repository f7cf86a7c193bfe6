# Copyright (c) mmuda contributors. All rights reserved.
"""The VisDA-2017 and Office-Home configs train (two iterations, a shrunk ViT without its
ImageNet weights) and evaluate on fake datasets in the real folder layouts, written by the
list converter."""
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

from mmuda.datasets.image_list import OFFICE_HOME_CLASSES, VISDA2017_CLASSES

from ..helpers import ROOT, run_tool

#: a ViT small enough for the CPU, the structure of the configs' ViT-B/16
TINY_VIT = ['model.model.backbone.embed_dims=32', 'model.model.backbone.num_layers=1',
            'model.model.backbone.num_heads=2', 'model.model.backbone.init_cfg=None',
            'model.model.in_channels=32', 'model.discriminator.hidden_dim=16']
#: the configs' ResNet-101 shrunk to a quarter-width ResNet-18 (same pooling, bottleneck, head)
TINY_RESNET = ['model.model.backbone.depth=18', 'model.model.backbone.base_channels=16',
               'model.model.backbone.stem_channels=16', 'model.model.backbone.init_cfg=None',
               'model.model.in_channels=128', 'model.discriminator.hidden_dim=16']


def _fake_tree(root, class_roots, classes, suffix):
    rng = np.random.default_rng(0)
    for class_root in class_roots:
        for c in classes:
            os.makedirs(osp.join(root, class_root, c), exist_ok=True)
            img = rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)
            cv2.imwrite(osp.join(root, class_root, c, f'a{suffix}'), img)


def _convert(benchmark, root):
    proc = run_tool([sys.executable, osp.join(ROOT, 'tools/dataset_converters/image_list.py'),
                     benchmark, root])
    assert proc.returncode == 0, proc.stderr[-2000:]


def _train(config, work_dir, options, shrink=TINY_VIT):
    loaders = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loaders += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False',
                    f'{loader}.batch_size=4']
    return run_tool([sys.executable, osp.join(ROOT, 'tools/train.py'), osp.join(ROOT, config),
                     '--work-dir', work_dir, '--cfg-options', 'train_cfg.max_iters=2',
                     'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
                     'default_hooks.logger.interval=1',
                     *shrink, *loaders, *options])


@pytest.mark.slow
@pytest.mark.parametrize('config,shrink', [
    ('configs/mic/mic-sdat_vit-b16_15k_visda2017.py', TINY_VIT),
    ('configs/mic/mic-sdat_r101_30k_visda2017.py', TINY_RESNET)], ids=['vit-b16', 'r101'])
def test_visda2017_mic_sdat_config_runs(tmp_path, config, shrink):
    root = str(tmp_path / 'visda2017')
    _fake_tree(root, ['train'], VISDA2017_CLASSES, '.png')
    _fake_tree(root, ['validation'], VISDA2017_CLASSES, '.jpg')
    _convert('visda2017', root)
    opts = [f'train_dataloader.dataset.{d}.data_root={root}' for d in ('source', 'target')]
    opts += [f'{loader}.dataset.data_root={root}' for loader in ('val_dataloader',
                                                                 'test_dataloader')]
    proc = _train(config, str(tmp_path / 'wd'), opts + ['custom_hooks.1.block_size=112'],
                  shrink=shrink)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert 'ascent.loss_masked' in out and 'mean_class_accuracy' in out


@pytest.mark.slow
def test_office_home_sdat_task_config_runs(tmp_path):
    root = str(tmp_path / 'office_home')
    _fake_tree(root, ['Art', 'Clipart', 'Product', 'Real_World'], OFFICE_HOME_CLASSES, '.jpg')
    _convert('office_home', root)
    opts = [f'train_dataloader.dataset.{d}.data_root={root}' for d in ('source', 'target')]
    opts += [f'{loader}.dataset.data_root={root}' for loader in ('val_dataloader',
                                                                 'test_dataloader')]
    config = 'configs/sdat/office-home/sdat_vit-b16_30k_office-home-pr2cl.py'
    proc = _train(config, str(tmp_path / 'wd'), opts)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert 'adapt.loss_cdan' in out and 'accuracy' in out
