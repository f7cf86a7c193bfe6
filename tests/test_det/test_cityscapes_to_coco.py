# Copyright (c) mmuda contributors. All rights reserved.
"""Cityscapes instance labels -> COCO json, on a fake folder in the real layout, read back by
mmdet's CityscapesDataset."""
import json
import os
import os.path as osp
import sys

import numpy as np
from PIL import Image

from ..helpers import ROOT, run_tool

TOOL = osp.join(ROOT, 'tools/dataset_converters/cityscapes_to_coco.py')


def make_fake(root, suffix='_leftImg8bit.png'):
    """One 32 x 64 val image: a car (26001) at x 2..9, y 4..7; a person (24000) at x 20..21,
    y 10..19; a crowd of cars without instance id (26) and road (7)."""
    inst = np.full((32, 64), 7, np.uint16)  # 16-bit PNG, as released
    inst[4:8, 2:10] = 26001
    inst[10:20, 20:22] = 24000
    inst[25:30, 40:50] = 26
    city = osp.join(root, 'gtFine', 'val', 'lindau')
    os.makedirs(city)
    Image.fromarray(inst).save(osp.join(city, 'lindau_000000_000019_gtFine_instanceIds.png'))
    img = osp.join(root, 'leftImg8bit', 'val', 'lindau')
    os.makedirs(img)
    Image.fromarray(np.zeros((32, 64, 3), np.uint8)).save(
        osp.join(img, 'lindau_000000_000019' + suffix))


def test_boxes_by_hand_and_read_by_mmdet(tmp_path):
    root = str(tmp_path / 'cityscapes')
    make_fake(root)
    proc = run_tool([sys.executable, TOOL, root, '--split', 'val'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    coco = json.load(open(osp.join(root, 'annotations', 'instances_val.json')))
    assert [c['name'] for c in coco['categories']][:3] == ['person', 'rider', 'car']
    assert coco['images'] == [dict(id=0, file_name='lindau/lindau_000000_000019_leftImg8bit.png',
                                   height=32, width=64)]
    boxes = sorted((a['category_id'], a['bbox'], a['area']) for a in coco['annotations'])
    assert boxes == [(1, [20, 10, 2, 10], 20), (3, [2, 4, 8, 4], 32)]  # crowd region skipped

    from mmdet.datasets import CityscapesDataset
    ds = CityscapesDataset(data_root=root, ann_file='annotations/instances_val.json',
                           data_prefix=dict(img='leftImg8bit/val/'), test_mode=True,
                           pipeline=[])
    info = ds[0]
    assert info['img_path'].endswith('lindau_000000_000019_leftImg8bit.png')
    assert sorted(i['bbox'] for i in info['instances']) == [[2, 4, 10, 8], [20, 10, 22, 20]]

    # car only, for Sim10k / KITTI -> Cityscapes
    proc = run_tool([sys.executable, TOOL, root, '--split', 'val', '--classes', 'car'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    car = json.load(open(osp.join(root, 'annotations', 'instances_car_val.json')))
    assert [a['bbox'] for a in car['annotations']] == [[2, 4, 8, 4]]


def test_foggy_suffix_and_missing_image(tmp_path):
    root = str(tmp_path / 'foggy')
    make_fake(root, suffix='_leftImg8bit_foggy_beta_0.02.png')
    proc = run_tool([sys.executable, TOOL, root, '--split', 'val'])
    assert proc.returncode != 0
    assert "lindau_000000_000019_leftImg8bit.png' of label" in proc.stderr
    assert not osp.exists(osp.join(root, 'annotations', 'instances_val.json'))
    proc = run_tool([sys.executable, TOOL, root, '--split', 'val', '--img-suffix',
                     '_leftImg8bit_foggy_beta_0.02.png'])
    assert proc.returncode == 0, proc.stderr[-2000:]
