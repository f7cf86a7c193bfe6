# Copyright (c) mmuda contributors. All rights reserved.
"""Detection data: boxes of the embedded synthetic domains, the checked COCO dataset's bad-input
messages, and multi-source pairing with per-source domain labels."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from mmuda.datasets import CheckedCocoDataset, SyntheticDetDataset, UDADataset
from mmuda.datasets.synthetic.scene import (CAR, DET_MIN_AREA, IGNORE_INDEX, PERSON,
                                            instance_boxes, merge_style, render)
from mmuda.models.domain_heads.da_faster_heads import domain_loss
from mmuda.models.uda.da_faster import DAFasterRCNN
from mmuda.utils import register_all_modules

PIPE = [dict(type='mmdet.LoadImageFromFile'), dict(type='mmdet.LoadAnnotations', with_bbox=True),
        dict(type='mmdet.PackDetInputs')]


def layout_with(objects, h=40, w=80):
    return dict(height=h, width=w, horizon=10.0, vanish_x=40.0, road=(0.0, 80.0), walk=5.0,
                blocks=[], objects=objects)


def test_boxes_are_the_visible_pixels():
    """A person standing partly behind a nearer car: its box shrinks to what is visible, and
    an object hidden (almost) completely is not annotated."""
    person = dict(kind='person', x=30.0, y=30.0, w=8.0, h=24.0)
    car = dict(kind='car', x=40.0, y=38.0, w=30.0, h=16.0)  # covers x 25..55 near the ground
    hidden = dict(kind='person', x=40.0, y=36.0, w=2.0, h=6.0)
    blob = dict(kind='clutter', x=40.0, y=38.0, w=6.0, h=5.0)  # over the hidden person
    layout = layout_with([person, hidden, car, blob])
    boxes = instance_boxes(layout)
    assert [b[0] for b in boxes] == ['person', 'car']
    # the label map of the rendered scene agrees: person/car pixels inside their boxes
    _, label = render(np.random.default_rng(0), layout, merge_style({}))
    for name, (x, y, bw, bh), area in boxes:
        cls = PERSON if name == 'person' else CAR
        ys, xs = np.nonzero(label == cls)
        inside = (xs >= x) & (xs < x + bw) & (ys >= y) & (ys < y + bh)
        assert inside.sum() >= area * 0.99 and area >= DET_MIN_AREA
    # the person alone would reach down to row 30; behind the car its box ends higher
    alone = instance_boxes(layout_with([person]))[0][1]
    assert boxes[0][1][3] < alone[3]
    assert (label == IGNORE_INDEX).any()


def test_synthetic_det_dataset_reads_coco_boxes(tmp_path):
    register_all_modules()
    ds = SyntheticDetDataset(domain='src', num_images=dict(train=6, val=2), img_size=(64, 128),
                             data_root=str(tmp_path), pipeline=PIPE)
    folder = ds.data_root
    coco = json.load(open(osp.join(folder, 'annotations', 'instances_train.json')))
    assert [c['name'] for c in coco['categories']] == ['car', 'person']
    assert len(coco['images']) == 6 and len(ds) == 6
    assert len(coco['annotations']) > 0
    item = ds[0]
    boxes = item['data_samples'].gt_instances.bboxes.tensor
    assert boxes.shape[1] == 4 and (boxes[:, 2] <= 128).all() and (boxes[:, 3] <= 64).all()
    assert ds.box_fixes == dict(clipped=0, dropped=0)
    # the same domain folder serves segmentation and detection
    assert osp.isdir(osp.join(folder, 'labels', 'train'))
    with pytest.raises(TypeError, match='ann_file'):
        SyntheticDetDataset(domain='src', data_root=str(tmp_path), ann_file='x.json')


def write_coco(root, names, boxes_per_image, size=(20, 30)):
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    h, w = size
    images, anns = [], []
    for i, name in enumerate(names):
        images.append(dict(id=i, file_name=name, height=h, width=w))
        for box in boxes_per_image[i]:
            anns.append(dict(id=len(anns) + 1, image_id=i, category_id=1, bbox=box,
                             area=box[2] * box[3], iscrowd=0))
    with open(osp.join(root, 'annotations', 'train.json'), 'w') as f:
        json.dump(dict(images=images, annotations=anns,
                       categories=[dict(id=1, name='car')]), f)


def coco(root, **kwargs):
    return CheckedCocoDataset(data_root=str(root), ann_file='annotations/train.json',
                              data_prefix=dict(img='images/'), metainfo=dict(classes=('car', )),
                              pipeline=[], **kwargs)


def test_boxes_outside_or_empty_are_clipped_or_dropped_and_counted(tmp_path):
    write_coco(tmp_path, ['a.png'], [[[2, 2, 5, 5], [25, 10, 10, 4], [40, 2, 5, 5],
                                      [3, 3, 0, 4]]])
    cv2.imwrite(str(tmp_path / 'images' / 'a.png'), np.zeros((20, 30, 3), np.uint8))
    ds = coco(tmp_path)
    # box 2 reaches past x = 30 (clipped); box 3 lies outside, box 4 has zero width (dropped)
    assert ds.box_fixes == dict(clipped=1, dropped=2)
    boxes = [inst['bbox'] for inst in ds.get_data_info(0)['instances']]
    assert boxes == [[2, 2, 7, 7], [25, 10, 30, 14]]


def test_listed_images_must_exist_and_folder_images_must_be_listed(tmp_path):
    write_coco(tmp_path, ['a.png', 'b.png'], [[[1, 1, 4, 4]], []])
    cv2.imwrite(str(tmp_path / 'images' / 'a.png'), np.zeros((20, 30, 3), np.uint8))
    with pytest.raises(FileNotFoundError, match=r"1 image\(s\) listed in .* do not exist.*b.png"):
        coco(tmp_path)
    for name in ('b.png', 'c.png', 'd.png'):
        cv2.imwrite(str(tmp_path / 'images' / name), np.zeros((20, 30, 3), np.uint8))
    with pytest.raises(ValueError, match=r"2 image\(s\) ending in '.png' .* not listed in .*"
                                         r"lists 2\), e.g. .*c.png"):
        coco(tmp_path)
    assert len(coco(tmp_path, unlisted_images='warn')) == 2
    assert len(coco(tmp_path, img_suffix='_foggy.png')) == 2  # only that suffix is checked


def test_class_list_mismatch_between_domains(tmp_path):
    register_all_modules()
    src = SyntheticDetDataset(domain='src', num_images=dict(train=2, val=1),
                              img_size=(32, 64), data_root=str(tmp_path), pipeline=PIPE)
    write_coco(tmp_path / 'other', ['a.png'], [[[1, 1, 4, 4]]])
    cv2.imwrite(str(tmp_path / 'other' / 'images' / 'a.png'), np.zeros((20, 30, 3), np.uint8))
    tgt = coco(tmp_path / 'other')
    with pytest.raises(ValueError, match=r"same class list; got source 1 \(CheckedCocoDataset\) "
                                         r"\('car',\) and target \('car', 'person'\)"):
        UDADataset(source=[src, tgt], target=src)


def test_multi_source_pairing_labels_each_source(tmp_path):
    register_all_modules()
    a = SyntheticDetDataset(domain='a', num_images=dict(train=3, val=1), img_size=(32, 64),
                            data_root=str(tmp_path), pipeline=PIPE,
                            filter_cfg=dict(filter_empty_gt=False))
    b = SyntheticDetDataset(domain='b', num_images=dict(train=2, val=1), img_size=(32, 64),
                            data_root=str(tmp_path), pipeline=PIPE,
                            filter_cfg=dict(filter_empty_gt=False))
    uda = UDADataset(source=[a, b], target=a)
    assert len(uda) == 5
    domains = [uda[i]['data_samples']['source'].metainfo['source_domain'] for i in range(5)]
    assert domains == [0, 0, 0, 1, 1]
    assert uda.get_data_info(3)['img_path'] == b.get_data_info(0)['img_path']
    samples = [uda[i]['data_samples']['source'] for i in (0, 4)]
    labels = DAFasterRCNN.domain_labels(samples, True, 'cpu')
    assert labels.tolist() == [1, 2]  # target is 0
    assert DAFasterRCNN.domain_labels(samples, False, 'cpu').tolist() == [0, 0]


def test_domain_loss_binary_and_multi_domain():
    logits = torch.zeros(2, 1, 2, 2)
    assert domain_loss(logits, torch.tensor([2, 0])).item() == pytest.approx(0.693147, rel=1e-5)
    # three domains, uniform logits: cross-entropy log 3; a confident right answer: ~0
    assert domain_loss(torch.zeros(2, 3, 2, 2), torch.tensor([2, 0])).item() == \
        pytest.approx(1.098612, rel=1e-5)
    sure = torch.full((2, 3), -20.0)
    sure[0, 2] = sure[1, 0] = 20.0
    assert domain_loss(sure, torch.tensor([2, 0])).item() < 1e-6
    with pytest.raises(ValueError, match='num_domains'):
        domain_loss(torch.zeros(2, 3), torch.tensor([3, 0]))
