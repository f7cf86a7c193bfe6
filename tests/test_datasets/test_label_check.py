# Copyright (c) mmuda contributors. All rights reserved.
"""Whole-dataset label checks: tools/analysis_tools/check_labels.py and the synthetic dataset's
check at initialisation."""
import json
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from mmuda.datasets import SyntheticSegDataset
from mmuda.datasets.label_check import check_coco_file, check_label_files
from mmuda.utils import register_all_modules

from ..helpers import ROOT, SOURCE_ONLY_CFG, run_tool

BASE = Config.fromfile(osp.join(ROOT, 'configs/_base_/datasets/synthetic_domains.py'))
DOMAIN = dict(domain='source', style=BASE.source_style, num_images=dict(train=6, val=2),
              img_size=(32, 64))
CHECK_LABELS = osp.join(ROOT, 'tools', 'analysis_tools', 'check_labels.py')


def _dataset(data_root, pipeline=BASE.test_pipeline, **kwargs):
    register_all_modules()
    return SyntheticSegDataset(data_root=data_root, pipeline=pipeline, **DOMAIN, **kwargs)


def _corrupt(data_root, index=3, value=9):
    """Write ``value`` (9: outside the 8 classes) into 5 pixels of one train label PNG."""
    folder = _dataset(data_root).data_root  # generates the (clean) domain
    path = osp.join(folder, 'labels', 'train', f'source_{index:05d}.png')
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    label[0, :5] = value
    cv2.imwrite(path, label)
    return path


def _check_cmd(data_root, *args):
    opts = []
    for key in ('train_dataloader.dataset', 'val_dataloader.dataset', 'test_dataloader.dataset'):
        opts += [f'{key}.data_root={data_root}', f'{key}.num_images.train=6',
                 f'{key}.num_images.val=2', f'{key}.img_size=(32,64)']
    return [sys.executable, CHECK_LABELS, SOURCE_ONLY_CFG, '--workers', '2', *args,
            '--cfg-options', *opts]


def test_clean_domain_passes(tmp_path):
    root = str(tmp_path)
    ds = _dataset(root)
    assert ds.check_labels and len(ds) == 6
    proc = run_tool(_check_cmd(root))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'train: SyntheticSegDataset' in proc.stdout and '6 label map(s)' in proc.stdout
    assert 'All labels are valid.' in proc.stdout


def test_tool_names_the_bad_file_and_id(tmp_path):
    root = str(tmp_path)
    bad = _corrupt(root)
    proc = run_tool(_check_cmd(root))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (f'{bad}: holds id(s) [9] in 5 pixel(s); expected train ids 0..7 or 255 (ignore)'
            in proc.stdout), proc.stdout
    assert '1 bad label file(s)' in proc.stderr
    # only that file: the val split (the target domain) is clean
    assert proc.stdout.count('holds id(s)') == 1


def test_dataset_refuses_bad_label_at_init(tmp_path):
    root = str(tmp_path)
    _corrupt(root)
    with pytest.raises(ValueError, match=r'1 of 6 label file\(s\) are bad \(check_labels=True\)'
                       r'[^$]*source_00003\.png: holds id\(s\) \[9\] in 5 pixel\(s\)'):
        _dataset(root)
    # without the check the dataset builds (the loader would stop on that file later)
    assert len(_dataset(root, check_labels=False)) == 6
    # a pipeline that loads no labels (the UDA target stream) does not need them checked
    assert len(_dataset(root, pipeline=BASE.unlabelled_train_pipeline)) == 6


def test_check_label_files_parallel_and_wide_ids(tmp_path):
    paths = []
    for i, (value, dtype) in enumerate([(1, np.uint8), (255, np.uint8), (8, np.uint8),
                                        (300, np.uint16), (2, np.uint16)]):
        path = str(tmp_path / f'{i}.png')
        label = np.zeros((4, 4), dtype)
        label[1, 1:3] = value
        cv2.imwrite(path, label)
        paths.append(path)
    paths.append(str(tmp_path / 'missing.png'))
    serial = check_label_files(paths, num_classes=8)
    assert check_label_files(paths, num_classes=8, workers=2) == serial
    assert [(osp.basename(p.path), p.ids) for p in serial] == [
        ('2.png', (8, )),
        ('3.png', (300, )),  # a 16-bit id the loader's uint8 cast would wrap to 44
        ('missing.png', ())]
    assert 'in 2 pixel(s)' in serial[0].message and 'cannot be read' in serial[2].message


def test_check_coco_file(tmp_path):
    coco = dict(
        images=[dict(id=0, file_name='a.png', width=20, height=10)],
        categories=[dict(id=1, name='car'), dict(id=2, name='person')],
        annotations=[
            dict(id=1, image_id=0, category_id=1, bbox=[2, 2, 5, 5]),     # good
            dict(id=2, image_id=0, category_id=7, bbox=[2, 2, 5, 5]),     # unknown category
            dict(id=3, image_id=0, category_id=2, bbox=[2, 2, 0, 5]),     # zero width
            dict(id=4, image_id=0, category_id=2, bbox=[30, 2, 5, 5]),    # outside the image
            dict(id=5, image_id=0, category_id=2, bbox=[18, 8, 5, 5]),    # partly outside: ok
            dict(id=6, image_id=9, category_id=1, bbox=[2, 2, 5, 5])])    # unknown image
    path = str(tmp_path / 'instances.json')
    with open(path, 'w') as f:
        json.dump(coco, f)
    problems = check_coco_file(path, ('car', 'person'))
    messages = [p.message for p in problems]
    assert len(problems) == 4, messages
    assert "annotation 2 of image 'a.png' has the category id 7" in messages[0]
    assert '1 (car), 2 (person)' in messages[0] and problems[0].ids == (7, )
    assert 'annotation 3' in messages[1] and 'zero or negative size' in messages[1]
    assert 'annotation 4' in messages[2] and 'entirely outside its 20x10 image' in messages[2]
    assert 'annotation 6 refers to the image id 9' in messages[3]
    assert "no category named ['bus']" in check_coco_file(path, ('car', 'bus'))[0].message


def test_dataset_listing_of_a_source_only_uda_config():
    """Domain generalisation configs have no target stream (UDADataset(target=None))."""
    import importlib.util
    spec = importlib.util.spec_from_file_location('check_labels', CHECK_LABELS)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    register_all_modules()
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/t2sda/t2sda-dg_segformer-mitb0_1k_synthetic-src.py'))
    for target_labels in (False, True):
        found, skipped = tool.dataset_cfgs(cfg.train_dataloader.dataset, 'train', target_labels)
        assert [name for name, _ in found] == ['train.source'] and skipped == []
    uda = Config.fromfile(
        osp.join(ROOT, 'configs/t2sda/t2sda_segformer-mitb0_1k_synthetic-src2tgt.py'))
    found, skipped = tool.dataset_cfgs(uda.train_dataloader.dataset, 'train', False)
    assert skipped == ['train.target']
