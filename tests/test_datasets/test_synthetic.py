# Copyright (c) mmuda contributors. All rights reserved.
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from mmuda.datasets import SyntheticSegDataset
from mmuda.datasets.synthetic import CLASSES, generate_scene, merge_style
from mmuda.datasets.synthetic.writer import domain_dir, domain_params, generate_domain
from mmuda.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE = Config.fromfile(osp.join(ROOT, 'configs/_base_/datasets/synthetic_domains.py'))


def test_scene_is_deterministic_and_seed_dependent():
    style = merge_style(BASE.target_style)
    a_img, a_lbl, _ = generate_scene([0, 1, 2], 64, 128, style)
    b_img, b_lbl, _ = generate_scene([0, 1, 2], 64, 128, style)
    c_img, c_lbl, _ = generate_scene([0, 1, 3], 64, 128, style)
    assert np.array_equal(a_img, b_img) and np.array_equal(a_lbl, b_lbl)
    assert not np.array_equal(a_lbl, c_lbl)
    assert a_img.shape == (64, 128, 3) and a_img.dtype == np.uint8
    assert a_lbl.dtype == np.uint8
    assert set(np.unique(a_lbl)) <= set(range(len(CLASSES))) | {255}


def test_style_changes_appearance_not_layout():
    source, fog = merge_style(BASE.source_style), merge_style(BASE.target_fog_style)
    target = merge_style(BASE.target_style)
    # same layout parameters for target and its foggy version: identical labels, other pixels
    t_img, t_lbl, layout = generate_scene([5], 64, 128, target)
    f_img, f_lbl, _ = generate_scene([5], 64, 128, fog)
    assert np.array_equal(t_lbl, f_lbl)
    # fog lowers contrast, and more so far away: the change is larger at the horizon than in
    # the bottom rows (close to the camera)
    assert f_img.std() < 0.9 * t_img.std()
    change = np.abs(f_img.astype(float) - t_img).mean(axis=(1, 2))
    horizon = int(layout['horizon'])
    assert change[horizon - 2:horizon + 3].mean() > 3 * change[-5:].mean()
    # the source palette differs from the target's on the road
    s_img, s_lbl, _ = generate_scene([5], 64, 128, source)
    road_s = s_img[s_lbl == 0].mean(0)
    road_t = t_img[t_lbl == 0].mean(0)
    assert np.abs(road_s - road_t).max() > 10


def test_unknown_style_key_is_an_error():
    with pytest.raises(KeyError, match='fogg'):
        merge_style(dict(fogg=1.0))
    with pytest.raises(KeyError, match='bike'):
        merge_style(dict(palette=dict(bike=(1, 2, 3))))


def test_generate_domain_layout_and_statistics(tmp_path):
    params = domain_params('source', BASE.source_style, dict(train=40, val=8), (64, 128), 0)
    folder = generate_domain(str(tmp_path), params)
    assert folder == domain_dir(str(tmp_path), params)
    # nothing else is left in the data root (no temporary folder)
    assert sorted(os.listdir(tmp_path)) == ['.generate.lock', osp.basename(folder)]
    for split, n in (('train', 40), ('val', 8)):
        images = sorted(os.listdir(osp.join(folder, 'images', split)))
        labels = sorted(os.listdir(osp.join(folder, 'labels', split)))
        assert len(images) == n and images == labels
        label = cv2.imread(osp.join(folder, 'labels', split, labels[0]), cv2.IMREAD_UNCHANGED)
        assert label.shape == (64, 128) and label.dtype == np.uint8
    meta = json.load(open(osp.join(folder, 'meta.json')))
    fractions = meta['statistics']['train']['class_pixel_fraction']
    assert list(fractions) == list(CLASSES)
    assert abs(sum(fractions.values()) + meta['statistics']['train']['ignore_fraction']
               - 1) < 1e-3
    # at least 6 classes present, at least 2 of them rare (< 3% of pixels)
    assert sum(f > 0 for f in fractions.values()) >= 6
    assert sum(0 < f < 0.03 for f in fractions.values()) >= 2
    # a second call reuses the folder; another style makes another folder
    mtime = os.path.getmtime(osp.join(folder, 'meta.json'))
    assert generate_domain(str(tmp_path), params) == folder
    assert os.path.getmtime(osp.join(folder, 'meta.json')) == mtime
    other = domain_params('source', dict(BASE.source_style, noise=3.0), dict(train=40, val=8),
                          (64, 128), 0)
    assert domain_dir(str(tmp_path), other) != folder


def test_domains_never_share_layouts(tmp_path):
    a = domain_params('target', BASE.target_style, dict(train=2, val=1), (64, 128), 0)
    b = domain_params('target_fog', BASE.target_style, dict(train=2, val=1), (64, 128), 0)
    fa, fb = generate_domain(str(tmp_path), a), generate_domain(str(tmp_path), b)
    la = cv2.imread(osp.join(fa, 'labels/train/target_00000.png'), cv2.IMREAD_UNCHANGED)
    lb = cv2.imread(osp.join(fb, 'labels/train/target_fog_00000.png'), cv2.IMREAD_UNCHANGED)
    assert not np.array_equal(la, lb)


def test_dataset_reads_through_mmseg_pipeline(tmp_path):
    register_all_modules()
    ds = SyntheticSegDataset(
        domain='target', style=BASE.target_style, split='val', data_root=str(tmp_path),
        num_images=dict(train=3, val=2), img_size=(64, 128), pipeline=BASE.test_pipeline)
    assert len(ds) == 2
    assert ds.metainfo['classes'] == CLASSES
    sample = ds[0]
    inputs, data_sample = sample['inputs'], sample['data_samples']
    assert tuple(inputs.shape) == (3, 64, 128)
    gt = data_sample.gt_sem_seg.data
    assert tuple(gt.shape) == (1, 64, 128)
    folder = ds.data_root
    expected = cv2.imread(osp.join(folder, 'labels/val/target_00000.png'), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(gt[0].numpy(), expected)
