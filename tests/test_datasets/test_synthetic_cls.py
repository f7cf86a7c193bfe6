# Copyright (c) mmuda contributors. All rights reserved.
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from mmuda.datasets.synthetic import CLASSES, CLS_CLASSES, generate_cls_domain
from mmuda.datasets.synthetic.classification import (STUFF_CLASSES, cls_domain_dir,
                                                     cls_domain_params, scene_crops)
from mmuda.registry import DATASETS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE = Config.fromfile(osp.join(ROOT, 'configs/_base_/datasets/synthetic_domains.py'))
TINY = dict(num_scenes=dict(train=8, val=3), crop_size=32)


def _read_list(folder, split):
    with open(osp.join(folder, f'{split}.txt')) as f:
        return [line.rstrip('\n').rsplit(' ', 1) for line in f]


def test_layout_lists_and_meta(tmp_path):
    folder = generate_cls_domain(str(tmp_path), 'source', BASE.source_style, **TINY)
    meta = json.load(open(osp.join(folder, 'meta.json')))
    assert meta['classes'] == list(CLS_CLASSES) and len(CLS_CLASSES) >= 4
    for split in ('train', 'val'):
        entries = _read_list(folder, split)
        assert len(entries) == meta['statistics'][split]['num_crops'] > 0
        counts = dict.fromkeys(CLS_CLASSES, 0)
        for path, label in entries:
            label = int(label)
            assert 0 <= label < len(CLS_CLASSES)
            assert path.startswith(f'{split}/{CLS_CLASSES[label]}/') and path.endswith('.png')
            img = cv2.imread(osp.join(folder, path))
            assert img is not None and img.shape == (32, 32, 3)
            counts[CLS_CLASSES[label]] += 1
        assert counts == meta['statistics'][split]['class_counts']
    # no temporary folders left behind
    assert sorted(os.listdir(tmp_path)) == ['.generate.lock', osp.basename(folder)]


def test_crops_are_centred_on_their_class_and_match_the_files(tmp_path):
    folder = generate_cls_domain(str(tmp_path), 'target', BASE.target_style, **TINY)
    params = cls_domain_params('target', BASE.target_style, **TINY)
    entries = _read_list(folder, 'train')
    seen, k = set(), 0
    for index in range(TINY['num_scenes']['train']):
        image, label, crops = scene_crops(params, 'train', index)
        for crop in crops:
            x0, y0, side = crop.window
            cls = CLS_CLASSES[crop.label]
            # the centre pixel of the window belongs to the crop's class
            assert CLASSES[label[y0 + side // 2, x0 + side // 2]] == cls
            if cls in STUFF_CLASSES:  # stuff windows lie inside the scene, mostly that class
                window = label[y0:y0 + side, x0:x0 + side]
                assert window.shape == (side, side)
                assert (window == CLASSES.index(cls)).mean() >= params['stuff_min_fraction']
            # the written file holds exactly this crop, in the list order
            path, lbl = entries[k]
            assert int(lbl) == crop.label and path.startswith(f'train/{cls}/')
            written = cv2.cvtColor(cv2.imread(osp.join(folder, path)), cv2.COLOR_BGR2RGB)
            assert np.array_equal(written, crop.image)
            seen.add(cls)
            k += 1
    assert k == len(entries)
    assert {'car', 'road', 'building'} <= seen


def test_deterministic_idempotent_and_parameter_dependent(tmp_path):
    a = generate_cls_domain(str(tmp_path / 'a'), 'source', BASE.source_style, **TINY)
    b = generate_cls_domain(str(tmp_path / 'b'), 'source', BASE.source_style, **TINY)
    assert osp.basename(a) == osp.basename(b)
    files = sorted(osp.relpath(osp.join(d, f), a) for d, _, fs in os.walk(a) for f in fs)
    assert files == sorted(osp.relpath(osp.join(d, f), b) for d, _, fs in os.walk(b) for f in fs)
    for rel in files:
        if rel != 'meta.json':  # (it records the generation time)
            assert open(osp.join(a, rel), 'rb').read() == open(osp.join(b, rel), 'rb').read()
    # a second call reuses the domain without writing anything
    stamp = os.stat(osp.join(a, 'train.txt')).st_mtime_ns
    assert generate_cls_domain(str(tmp_path / 'a'), 'source', BASE.source_style, **TINY) == a
    assert os.stat(osp.join(a, 'train.txt')).st_mtime_ns == stamp
    # another seed or crop size: another folder
    assert generate_cls_domain(str(tmp_path / 'a'), 'source', BASE.source_style,
                               **dict(TINY, seed=1)) != a


def test_incomplete_leftover_is_replaced(tmp_path):
    params = cls_domain_params('source', BASE.source_style, **TINY)
    folder = cls_domain_dir(str(tmp_path), params)
    os.makedirs(osp.join(folder, 'train'))
    open(osp.join(folder, 'train.txt'), 'w').write('junk 0\n')  # a crash, no meta.json
    assert generate_cls_domain(str(tmp_path), 'source', BASE.source_style, **TINY) == folder
    assert osp.isfile(osp.join(folder, 'meta.json'))
    assert _read_list(folder, 'train')[0][0] != 'junk'


def test_source_and_target_differ_in_colour(tmp_path):
    means = {}
    for domain in ('source', 'target'):
        folder = generate_cls_domain(str(tmp_path), domain, BASE[f'{domain}_style'], **TINY)
        meta = json.load(open(osp.join(folder, 'meta.json')))
        means[domain] = np.array(meta['statistics']['train']['mean_rgb'])
        pixels = np.concatenate([cv2.imread(osp.join(folder, p)).reshape(-1, 3)
                                 for p, _ in _read_list(folder, 'train')])
        assert np.allclose(pixels[:, ::-1].mean(0), means[domain], atol=0.01)
    # the target style is darker and less saturated
    assert np.linalg.norm(means['source'] - means['target']) > 8


def test_dataset_builds_and_checks_arguments(tmp_path):
    import mmuda.datasets  # noqa: F401  (registers the datasets)
    cfg = dict(type='SyntheticClsDataset', domain='target', style=BASE.target_style,
               split='val', data_root=str(tmp_path), **TINY)
    ds = DATASETS.build(cfg)
    folder = cls_domain_dir(str(tmp_path), cls_domain_params('target', BASE.target_style,
                                                             **TINY))
    assert len(ds) == len(_read_list(folder, 'val')) > 0
    assert ds.metainfo['classes'] == CLS_CLASSES
    info = ds.get_data_info(0)
    assert osp.isfile(info['img_path']) and isinstance(info['gt_label'], int)
    assert ds.get_cat_ids(0) == [info['gt_label']]
    assert ds[0]['gt_label'] == info['gt_label']  # no pipeline: the data info itself
    with pytest.raises(TypeError, match='ann_file'):
        DATASETS.build(dict(cfg, ann_file='x.txt'))
    with pytest.raises(ValueError, match='split'):
        DATASETS.build(dict(cfg, split='test'))
    with pytest.raises(FileNotFoundError):
        DATASETS.build(dict(cfg, seed=5, generate=False))
