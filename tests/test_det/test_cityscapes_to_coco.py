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


def test_reference_rule_for_stray_fragments(tmp_path):
    """Detectron's converter (the reference's) drops an instance when one of its outer contours
    has at most 2 points: a separate 1- or 2-pixel piece, or a 1- or 2-pixel instance."""
    root = str(tmp_path / 'cityscapes')
    make_fake(root)
    path = osp.join(root, 'gtFine', 'val', 'lindau', 'lindau_000000_000019_gtFine_instanceIds.png')
    inst = np.asarray(Image.open(path)).copy()
    inst[0:3, 30:33] = 26002  # a 3 x 3 car ...
    inst[0, 40:42] = 26002  # ... with a separate 2-pixel piece: dropped
    inst[12, 30] = 24001  # a 1-pixel person: dropped
    inst[15, 40:42] = 26003  # a 2-pixel car: dropped
    inst[20, 40:42] = 26004  # an L of 3 pixels: kept
    inst[21, 40] = 26004
    inst[25, 55:58] = 24002  # a 3-pixel line: kept (its contour has 4 points)
    Image.fromarray(inst).save(path)
    proc = run_tool([sys.executable, TOOL, root, '--split', 'val'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert '3 instances with a 1- or 2-pixel piece dropped' in proc.stdout
    coco = json.load(open(osp.join(root, 'annotations', 'instances_val.json')))
    boxes = sorted((a['category_id'], a['bbox'], a['area']) for a in coco['annotations'])
    assert boxes == [(1, [20, 10, 2, 10], 20), (1, [55, 25, 3, 1], 3), (3, [2, 4, 8, 4], 32),
                     (3, [40, 20, 2, 2], 3)]
    # --keep-fragments keeps all of them, each the tight box of all its pixels
    proc = run_tool([sys.executable, TOOL, root, '--split', 'val', '--keep-fragments'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    coco = json.load(open(osp.join(root, 'annotations', 'instances_val.json')))
    assert len(coco['annotations']) == 7
    assert [3, [30, 0, 12, 3], 11] in [[a['category_id'], a['bbox'], a['area']]
                                      for a in coco['annotations']]
