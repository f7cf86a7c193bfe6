# Copyright (c) mmuda contributors. All rights reserved.
"""Image classification data: image-list parsing and its errors, the list converter on small
fakes of the VisDA-2017 / Office-Home / Office-31 layouts, the classification transforms and
ClsDataSample."""
import os
import os.path as osp
import sys

import cv2
import mmcv
import numpy as np
import pytest
import torch
from mmcv.transforms import LoadImageFromFile

from mmuda.datasets import ImageListDataset, Office31Dataset, OfficeHomeDataset, VisDA2017Dataset
from mmuda.datasets.image_list import (OFFICE31_CLASSES, OFFICE_HOME_CLASSES,
                                       VISDA2017_CLASSES)
from mmuda.datasets.transforms import PackClsInputs, RandomResizedCrop
from mmuda.registry import DATASETS, TRANSFORMS
from mmuda.structures import ClsDataSample
from mmuda.utils import register_all_modules

from ..helpers import ROOT, run_tool

TOOL = osp.join(ROOT, 'tools/dataset_converters/image_list.py')
CLASSES = ('cat', 'dog', 'bird')


def _png(path, h=6, w=8, seed=0):
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    assert cv2.imwrite(str(path), img)
    return img


def _write(path, text):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


# ---------------------------------------------------------------- the image list and dataset


def test_parse_paths_with_spaces(tmp_path):
    """Paths may hold spaces (the label is the last field); blank lines and surrounding
    whitespace are skipped; paths are joined to data_root / data_prefix."""
    root = str(tmp_path)
    _png(osp.join(root, 'imgs', 'Real World', 'Alarm Clock', 'img 1.png'))
    _write(osp.join(root, 'lists', 'a.txt'),
           'Real World/Alarm Clock/img 1.png 2\n\n  b/x.jpg   0  \nc/d e.jpg\t1\n')
    ds = ImageListDataset(ann_file='lists/a.txt', data_root=root,
                          data_prefix=dict(img_path='imgs'), metainfo=dict(classes=CLASSES))
    assert len(ds) == 3
    infos = [ds.get_data_info(i) for i in range(3)]
    assert [i['img_path'] for i in infos] == [
        osp.join(root, 'imgs', 'Real World/Alarm Clock/img 1.png'),
        osp.join(root, 'imgs', 'b/x.jpg'),
        osp.join(root, 'imgs', 'c/d e.jpg')]
    assert [i['gt_label'] for i in infos] == [2, 0, 1]
    assert [ds.get_cat_ids(i) for i in range(3)] == [[2], [0], [1]]
    assert ds.get_gt_labels().tolist() == [2, 0, 1]
    assert ds.metainfo['classes'] == CLASSES


def test_label_out_of_range(tmp_path):
    _png(tmp_path / 'a.png')
    _write(tmp_path / 'list.txt', 'a.png 0\nb.png 3\n')
    with pytest.raises(ValueError) as info:
        ImageListDataset(ann_file='list.txt', data_root=str(tmp_path),
                         metainfo=dict(classes=CLASSES))
    msg = str(info.value)
    assert osp.join(str(tmp_path), 'list.txt') in msg
    assert 'line 2' in msg and 'label 3' in msg and "'b.png'" in msg
    assert 'outside [0, 3)' in msg
    _write(tmp_path / 'list.txt', 'a.png -1\n')
    with pytest.raises(ValueError, match=r'line 1: label -1 .* outside \[0, 3\)'):
        ImageListDataset(ann_file='list.txt', data_root=str(tmp_path),
                         metainfo=dict(classes=CLASSES))


@pytest.mark.parametrize('line', ['a.png', 'a.png cat', 'a.png 1.5'])
def test_malformed_line(tmp_path, line):
    _png(tmp_path / 'a.png')
    _write(tmp_path / 'list.txt', f'a.png 0\n\n{line}\n')
    with pytest.raises(ValueError, match=r'list\.txt, line 3: expected "<relative image path> '
                       r'<integer label>", got ' + repr(line).replace('.', r'\.')):
        ImageListDataset(ann_file='list.txt', data_root=str(tmp_path),
                         metainfo=dict(classes=CLASSES))


def test_missing_list_file(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        OfficeHomeDataset(ann_file='image_list/Art.txt', data_root=str(tmp_path))
    msg = str(info.value)
    assert msg.startswith('OfficeHomeDataset: the image list')
    assert repr(osp.join(str(tmp_path), 'image_list/Art.txt')) in msg
    assert 'tools/dataset_converters/image_list.py' in msg


def test_first_image_missing_and_empty_list(tmp_path):
    _write(tmp_path / 'list.txt', 'x/missing.png 1\ny/also.png 0\n')
    with pytest.raises(FileNotFoundError, match=r'x/missing\.png.*first image'):
        ImageListDataset(ann_file='list.txt', data_root=str(tmp_path),
                         metainfo=dict(classes=CLASSES))
    # the check can be turned off; the other images are never checked at load
    ds = ImageListDataset(ann_file='list.txt', data_root=str(tmp_path),
                          metainfo=dict(classes=CLASSES), check_first_image=False)
    assert len(ds) == 2
    _write(tmp_path / 'empty.txt', '\n\n')
    with pytest.raises(ValueError, match='lists no images'):
        ImageListDataset(ann_file='empty.txt', data_root=str(tmp_path),
                         metainfo=dict(classes=CLASSES))
    with pytest.raises(ValueError, match='no classes'):
        ImageListDataset(ann_file='list.txt', data_root=str(tmp_path))


def test_class_orders():
    """tllib's class orders (they define the label ids of its image lists)."""
    assert VisDA2017Dataset.METAINFO['classes'] == VISDA2017_CLASSES
    assert len(VISDA2017_CLASSES) == 12 and VISDA2017_CLASSES[5] == 'knife'
    assert len(OFFICE_HOME_CLASSES) == len(set(OFFICE_HOME_CLASSES)) == 65
    assert OFFICE_HOME_CLASSES[:3] == ('Drill', 'Exit_Sign', 'Bottle')
    assert OFFICE_HOME_CLASSES.index('Alarm_Clock') == 33
    assert OFFICE_HOME_CLASSES[-1] == 'Marker'
    assert len(OFFICE31_CLASSES) == len(set(OFFICE31_CLASSES)) == 31
    assert OFFICE31_CLASSES[0] == 'back_pack' and OFFICE31_CLASSES[-1] == 'trash_can'
    assert list(OFFICE31_CLASSES) == sorted(OFFICE31_CLASSES)


# ----------------------------------------------------------------------------- the converter


def _class_tree(root, class_root, classes, images, suffix='.jpg'):
    """Empty folders for all ``classes`` under ``root/class_root``, ``images`` (class ->
    names) as tiny images."""
    for i, cls in enumerate(classes):
        os.makedirs(osp.join(root, class_root, cls), exist_ok=True)
    for n, (cls, names) in enumerate(images.items()):
        for name in names:
            _png(osp.join(root, class_root, cls, name + suffix), seed=n)


def _read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def test_converter_office_home(tmp_path):
    root = str(tmp_path / 'office_home')
    for domain in ('Art', 'Clipart', 'Product', 'Real_World'):
        _class_tree(root, domain, OFFICE_HOME_CLASSES,
                    {'Marker': ['00002', '00001'], 'Drill': ['00010']})
    _png(osp.join(root, 'Art', 'Alarm_Clock', '00003.jpg'))
    _write(osp.join(root, 'Art', 'Alarm_Clock', 'notes.txt'), 'not an image')  # ignored
    res = run_tool([sys.executable, TOOL, 'office_home', root])
    assert res.returncode == 0, res.stderr
    assert _read(osp.join(root, 'image_list', 'Art.txt')) == (
        'Art/Alarm_Clock/00003.jpg 33\n'
        'Art/Drill/00010.jpg 0\n'
        'Art/Marker/00001.jpg 64\n'
        'Art/Marker/00002.jpg 64\n')
    assert _read(osp.join(root, 'image_list', 'Real_World.txt')) == (
        'Real_World/Drill/00010.jpg 0\n'
        'Real_World/Marker/00001.jpg 64\n'
        'Real_World/Marker/00002.jpg 64\n')
    assert sorted(os.listdir(osp.join(root, 'image_list'))) == [
        'Art.txt', 'Clipart.txt', 'Product.txt', 'Real_World.txt']
    assert 'Art: 4 images of 65 classes' in res.stdout
    ds = OfficeHomeDataset(ann_file='image_list/Art.txt', data_root=root)
    assert [ds.get_data_info(i)['gt_label'] for i in range(4)] == [33, 0, 64, 64]


def test_converter_visda_and_office31(tmp_path):
    root = str(tmp_path / 'visda')
    _class_tree(root, 'train', VISDA2017_CLASSES,
                {'truck': ['src_1_b'], 'aeroplane': ['src_1_a']}, suffix='.png')
    _class_tree(root, 'validation', VISDA2017_CLASSES, {'knife': ['a', 'b']})
    _write(osp.join(root, 'train', 'image_list.txt'), 'the released list\n')  # not a folder
    res = run_tool([sys.executable, TOOL, 'visda2017', root, '--out-dir', osp.join(root, 'lists')])
    assert res.returncode == 0, res.stderr
    assert _read(osp.join(root, 'lists', 'train.txt')) == (
        'train/aeroplane/src_1_a.png 0\ntrain/truck/src_1_b.png 11\n')
    assert _read(osp.join(root, 'lists', 'validation.txt')) == (
        'validation/knife/a.jpg 5\nvalidation/knife/b.jpg 5\n')
    assert not osp.exists(osp.join(root, 'image_list'))

    root = str(tmp_path / 'office31')
    for domain in ('amazon', 'dslr', 'webcam'):
        _class_tree(root, f'{domain}/images', OFFICE31_CLASSES,
                    {'trash_can': ['frame_0001'], 'bike': ['frame_0002']})
    res = run_tool([sys.executable, TOOL, 'office31', root])
    assert res.returncode == 0, res.stderr
    assert _read(osp.join(root, 'image_list', 'dslr.txt')) == (
        'dslr/images/bike/frame_0002.jpg 1\ndslr/images/trash_can/frame_0001.jpg 30\n')
    ds = Office31Dataset(ann_file='image_list/webcam.txt', data_root=root)
    assert ds.get_data_info(1)['img_path'] == osp.join(
        root, 'webcam/images/trash_can/frame_0001.jpg')


def test_converter_errors_write_nothing(tmp_path):
    root = str(tmp_path / 'office31')
    for domain in ('amazon', 'dslr'):  # webcam missing
        _class_tree(root, f'{domain}/images', OFFICE31_CLASSES, {'bike': ['x']})
    os.makedirs(osp.join(root, 'amazon', 'images', 'unicorn'))
    _write(osp.join(root, 'image_list', 'amazon.txt'), 'old\n')
    res = run_tool([sys.executable, TOOL, 'office31', root])
    assert res.returncode != 0
    assert 'nothing was written' in res.stderr
    assert "amazon: 1 folder(s)" in res.stderr and "['unicorn']" in res.stderr
    assert f"webcam: no folder {osp.join(root, 'webcam/images')!r}" in res.stderr
    assert 'Traceback' not in res.stderr
    assert _read(osp.join(root, 'image_list', 'amazon.txt')) == 'old\n'
    assert sorted(os.listdir(osp.join(root, 'image_list'))) == ['amazon.txt']

    # a class folder missing (an incomplete extraction)
    root = str(tmp_path / 'visda')
    _class_tree(root, 'train', VISDA2017_CLASSES[:-1], {'bus': ['a']}, suffix='.png')
    _class_tree(root, 'validation', VISDA2017_CLASSES, {'bus': ['a']})
    res = run_tool([sys.executable, TOOL, 'visda2017', root])
    assert res.returncode != 0
    assert "train: 1 class folder(s) missing" in res.stderr and "['truck']" in res.stderr
    assert not osp.exists(osp.join(root, 'image_list'))


# ------------------------------------------------------------------------------- transforms


@pytest.mark.parametrize('shape', [(40, 60), (7, 100), (100, 9), (3, 3)])
def test_random_resized_crop(shape):
    """The output has the requested size, the crop lies inside the image and the output is
    the crop resized."""
    np.random.seed(0)
    t = RandomResizedCrop(size=(5, 7))
    img = np.random.randint(0, 255, shape + (3, ), dtype=np.uint8)
    for _ in range(50):
        out = t(dict(img=img.copy()))
        assert out['img'].shape == (5, 7, 3) and out['img_shape'] == (5, 7)
        x1, y1, x2, y2 = out['crop_bbox']
        assert 0 <= x1 < x2 <= shape[1] and 0 <= y1 < y2 <= shape[0]
        area = (x2 - x1) * (y2 - y1) / (shape[0] * shape[1])
        assert area <= 1
        np.testing.assert_array_equal(
            out['img'], mmcv.imresize(img[y1:y2, x1:x2], (7, 5), interpolation='bilinear'))
    sq = TRANSFORMS.build(dict(type='mmuda.RandomResizedCrop', size=4))
    assert sq(dict(img=img))['img'].shape == (4, 4, 3)


def test_random_resized_crop_fallback_and_ratio():
    """No random crop fits a 10 x 100 image with area >= 90 % and ratio 1: the centred
    10 x 10 square. Fitting crops keep their ratio within ``ratio``."""
    t = RandomResizedCrop(size=10, scale=(0.9, 1.0), ratio=(1.0, 1.0))
    out = t(dict(img=np.zeros((10, 100, 3), np.uint8)))
    assert out['crop_bbox'] == (45, 0, 55, 10)
    np.random.seed(1)
    t = RandomResizedCrop(size=8, scale=(0.1, 0.5), ratio=(0.5, 2.0))
    for _ in range(100):
        x1, y1, x2, y2 = t(dict(img=np.zeros((200, 200, 3), np.uint8)))['crop_bbox']
        w, h = x2 - x1, y2 - y1
        assert 0.5 - 0.02 <= w / h <= 2.0 + 0.02
        assert 0.1 - 0.01 <= w * h / 200**2 <= 0.5 + 0.01
    with pytest.raises(ValueError, match='scale'):
        RandomResizedCrop(size=4, scale=(0.5, 0.1))
    with pytest.raises(ValueError, match='size'):
        RandomResizedCrop(size=(4, 0))


def test_pack_cls_inputs(tmp_path):
    img = _png(tmp_path / 'a b.png', h=6, w=8, seed=3)
    _write(tmp_path / 'list.txt', 'a b.png 1\n')
    register_all_modules()
    ds = DATASETS.build(dict(
        type='mmuda.ImageListDataset', ann_file='list.txt', data_root=str(tmp_path),
        metainfo=dict(classes=CLASSES),
        pipeline=[dict(type='LoadImageFromFile'), dict(type='RandomFlip', prob=1.0),
                  dict(type='mmuda.PackClsInputs')]))
    out = ds[0]
    inputs, sample = out['inputs'], out['data_samples']
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, 6, 8)
    assert inputs.is_contiguous()
    np.testing.assert_array_equal(inputs.numpy(), img[:, ::-1].transpose(2, 0, 1))  # BGR
    assert isinstance(sample, ClsDataSample)
    assert sample.gt_label.dtype == torch.long and sample.gt_label.dim() == 0
    assert int(sample.gt_label) == 1
    assert sample.metainfo == dict(img_path=osp.join(str(tmp_path), 'a b.png'),
                                   ori_shape=(6, 8), img_shape=(6, 8), flip=True)
    # without a label (and other keys absent): no gt_label, only the keys present
    out = PackClsInputs()(dict(img=np.zeros((2, 3), np.uint8), img_shape=(2, 3)))
    assert out['inputs'].shape == (1, 2, 3)
    assert 'gt_label' not in out['data_samples']
    assert out['data_samples'].metainfo == dict(img_shape=(2, 3))
    loaded = LoadImageFromFile()(dict(img_path=str(tmp_path / 'a b.png')))
    np.testing.assert_array_equal(loaded['img'], img)


def test_cls_data_sample():
    s = ClsDataSample()
    for value in (2, np.int64(2), torch.tensor([2]), np.array(2, np.int32)):
        s.gt_label = value
        assert s.gt_label.dtype == torch.long and s.gt_label.shape == () and int(s.gt_label) == 2
    s.pred_label = torch.tensor(1, dtype=torch.int32)
    assert s.pred_label.dtype == torch.long and s.pred_label.shape == ()
    s.pred_score = np.array([0.2, 0.8])
    assert s.pred_score.dtype.is_floating_point and s.pred_score.shape == (2, )
    with pytest.raises(TypeError):
        s.gt_label = 1.0
    with pytest.raises(TypeError):
        s.gt_label = torch.tensor(1.0)
    with pytest.raises(ValueError):
        s.gt_label = torch.tensor([1, 2])
    with pytest.raises(ValueError):
        s.pred_score = torch.zeros(2, 3)
    d = s.to_dict()
    assert set(d) >= {'gt_label', 'pred_label', 'pred_score'}
