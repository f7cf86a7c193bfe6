# Copyright (c) mmuda contributors. All rights reserved.
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmuda.datasets import RareClassSampler, UDADataset
from mmuda.registry import DATASETS, HOOKS
from mmuda.utils import register_all_modules

from ..helpers import ROOT

BASE = Config.fromfile(osp.join(ROOT, 'configs/_base_/datasets/synthetic_domains.py'))


def _domain(root, domain, style, pipeline, split='train', **kwargs):
    return dict(type='SyntheticSegDataset', data_root=root, domain=domain, style=style,
                split=split, num_images=dict(train=6, val=2), img_size=(64, 128),
                pipeline=pipeline, **kwargs)


def test_rcs_probabilities_match_the_formula():
    stats = [dict(seg_map='a.png', counts={'0': 9000, '1': 4000}),
             dict(seg_map='b.png', counts={'0': 6000, '2': 1000}),
             dict(seg_map='c.png', counts={'1': 5000})]
    rcs = RareClassSampler(stats, ['a.png', 'b.png', 'c.png'], class_temp=0.1,
                           min_pixels=3000)
    # class 2 never exceeds min_pixels in an image: it cannot be sampled
    assert rcs.classes == [0, 1]
    total = 9000 + 4000 + 6000 + 1000 + 5000
    f = np.array([15000, 9000]) / total  # frequencies among ALL counted pixels
    expected = np.exp((1 - f) / 0.1) / np.exp((1 - f) / 0.1).sum()
    assert np.allclose(rcs.probs, expected)
    assert rcs.images_with_class == {0: [0, 1], 1: [0, 2]}
    with pytest.raises(ValueError, match='lack 1 image'):
        RareClassSampler(stats, ['a.png', 'zzz.png'])


def test_pairs_source_and_unlabelled_target(tmp_path):
    register_all_modules()
    ds = UDADataset(
        source=_domain(str(tmp_path), 'source', BASE.source_style, BASE.test_pipeline),
        target=_domain(str(tmp_path), 'target', BASE.target_style,
                       BASE.unlabelled_train_pipeline))
    assert len(ds) == 6
    np.random.seed(0)
    item = ds[3]
    assert set(item['inputs']) == {'source', 'target'}
    assert 'gt_sem_seg' in item['data_samples']['source']
    assert 'gt_sem_seg' not in item['data_samples']['target']  # target labels never loaded
    # the target is drawn independently of the source index
    targets = {osp.basename(ds[3]['data_samples']['target'].img_path) for _ in range(20)}
    assert len(targets) > 1


def test_rcs_samples_rare_classes_more_often(tmp_path):
    register_all_modules()
    source = _domain(str(tmp_path), 'source', BASE.source_style, BASE.test_pipeline)
    ds = UDADataset(source=source,
                    target=_domain(str(tmp_path), 'target', BASE.target_style,
                                   BASE.unlabelled_train_pipeline),
                    rare_class_sampling=dict(class_temp=0.01, min_pixels=20))
    np.random.seed(0)
    with_person = 0
    for _ in range(30):
        label = ds[0]['data_samples']['source'].gt_sem_seg.data
        with_person += int((label == 6).sum() > 10)
    # persons (~1 % of pixels) are the most likely draw at T = 0.01
    assert ds.rcs.probs[ds.rcs.classes.index(6)] > 0.3
    assert with_person >= 10


def test_build_time_errors(tmp_path):
    register_all_modules()
    src = _domain(str(tmp_path), 'source', BASE.source_style, BASE.test_pipeline)
    other = dict(type='CheckedSegDataset', data_root=str(tmp_path / 'x'), lazy_init=True,
                 metainfo=dict(classes=('a', 'b')), data_prefix=dict(img_path=''))
    os.makedirs(tmp_path / 'x')
    with pytest.raises(ValueError, match='same class list'):
        UDADataset(source=src, target=other)
    # RCS without statistics names the command that makes them
    folder = DATASETS.build(src).data_root
    os.remove(osp.join(folder, 'class_stats.json'))
    with pytest.raises(FileNotFoundError,
                       match='compute_class_stats.py'):
        UDADataset(source=src, target=src, rare_class_sampling=dict(min_pixels=20))
    with pytest.raises(ValueError, match=r'mask_ratio must be in \[0, 1\)'):
        HOOKS.build(dict(type='MaskingHook', mask_ratio=1.2))
    with pytest.raises(ValueError, match=r'alpha must be in \(0, 1\)'):
        HOOKS.build(dict(type='EMATeacherHook', alpha=0.0))


def test_stats_tool_writes_what_rcs_reads(tmp_path):
    register_all_modules()
    src = _domain(str(tmp_path), 'source', BASE.source_style, BASE.test_pipeline)
    folder = DATASETS.build(src).data_root
    shipped = json.load(open(osp.join(folder, 'class_stats.json')))
    os.remove(osp.join(folder, 'class_stats.json'))
    config = tmp_path / 'cfg.py'
    config.write_text(f'train_dataloader = dict(dataset={src!r})\n')
    proc = subprocess.run([sys.executable, osp.join(ROOT, 'tools/dataset_converters/'
                                                    'compute_class_stats.py'), str(config)],
                          capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 0, proc.stderr[-2000:]
    made = json.load(open(osp.join(folder, 'class_stats.json')))
    train = {s['seg_map']: s['counts'] for s in shipped['images'] if '/train/' in s['seg_map']}
    assert {s['seg_map']: s['counts'] for s in made['images']} == train


class _CroppingSource:
    """A one-image 'dataset' whose successive crops hold ``pixels[k]`` pixels of class 1."""
    metainfo = dict(classes=('a', 'b'))

    def __init__(self, pixels):
        self.pixels, self.calls = pixels, 0

    def full_init(self):
        pass

    def __len__(self):
        return 1

    def __getitem__(self, idx):
        from mmengine.structures import PixelData
        from mmseg.structures import SegDataSample
        label = torch.zeros(1, 10, 10, dtype=torch.long)
        label.view(-1)[:self.pixels[min(self.calls, len(self.pixels) - 1)]] = 1
        self.calls += 1
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=label)
        return dict(inputs=torch.zeros(3, 10, 10), data_samples=sample)


class _DrawClassOne:

    def sample(self):
        return 1, 0


@pytest.mark.parametrize('pixels,ratio,crops', [
    ([0], 0.5, 11),  # never enough: first crop + 10 re-crops, the last one kept unchecked
    ([0, 0, 9], 0.5, 3),  # the third crop holds > 8 * 0.5 pixels of the class
    ([0], 0.0, 1),  # min_crop_ratio 0: no re-crop
])
def test_rcs_recrops_as_the_reference(pixels, ratio, crops):
    source = _CroppingSource(pixels)
    ds = UDADataset(source=source, target=_CroppingSource([0]))
    ds.rcs, ds.rcs_cfg = _DrawClassOne(), dict(min_pixels=8, min_crop_ratio=ratio,
                                               max_crop_tries=10)
    ds[0]
    assert source.calls == crops
