# Copyright (c) mmuda contributors. All rights reserved.
"""SYNTHIA (RAND-CITYSCAPES): the converter on a small fake in the real layout (16-bit
3-channel label PNGs, the class id in the first channel), the dataset on its output, and
SubsetIoUMetric's 16 / 13-class means."""
import importlib.util
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmuda.datasets import SynthiaDataset
from mmuda.datasets.class_stats import load_class_stats
from mmuda.datasets.uda_dataset import RareClassSampler
from mmuda.evaluation import SubsetIoUMetric
from mmuda.registry import DATASETS, METRICS
from mmuda.utils import register_all_modules

from ..helpers import ROOT, run_tool

CONFIG = osp.join(ROOT, 'configs/_base_/datasets/uda_synthia_to_cityscapes_512x512.py')
TOOL = osp.join(ROOT, 'tools/dataset_converters/synthia.py')

# SYNTHIA ids of the fakes: road (3), wall (21), car (8), sky (1), void (0), lane marking (22,
# no Cityscapes class), pedestrian (10)
SYNTHIA_IDS = np.array([[3, 21, 8, 8], [1, 0, 22, 10]], dtype=np.uint16)
# by hand from the SYNTHIA README / the reference table: road 0, wall 3, car 13, sky 10,
# void and lane marking ignored, pedestrian -> person 11
TRAIN_IDS = np.array([[0, 3, 13, 13], [10, 255, 255, 11]], dtype=np.uint8)
H, W = 32, 64  # blocks of 16 x 16 pixels


def _blocks(grid):
    return np.kron(grid, np.ones((H // 2, W // 4), grid.dtype))


def write_label(path, class_ids):
    """A released-format SYNTHIA label: 16-bit, 3 channels, class id in the first (R)
    channel, instance ids in the second; the third holds other values, so reading the wrong
    channel shows."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    bgr = np.zeros(class_ids.shape + (3, ), np.uint16)
    bgr[..., 2] = class_ids                  # R: class
    bgr[..., 1] = 1000 + np.arange(class_ids.size).reshape(class_ids.shape) % 7  # G: instance
    bgr[..., 0] = 5                          # B: would read as fence (5 -> train id 4)
    assert cv2.imwrite(path, bgr)


def make_fake_synthia(root, n=2):
    for i in range(n):
        name = f'{i:07d}.png'
        os.makedirs(osp.join(root, 'RGB'), exist_ok=True)
        rgb = np.random.default_rng(i).integers(0, 255, (H, W, 3), dtype=np.uint8)
        cv2.imwrite(osp.join(root, 'RGB', name), rgb)
        write_label(osp.join(root, 'GT', 'LABELS', name), _blocks(SYNTHIA_IDS))


def _tool():
    spec = importlib.util.spec_from_file_location('synthia_converter', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def convert_in_process(root, monkeypatch):
    """Run the converter's main() here (faster than a new interpreter); returns its exit
    message, or None when it succeeded."""
    monkeypatch.setattr(sys, 'argv', ['synthia.py', root, '--nproc', '1'])
    try:
        _tool().main()
    except SystemExit as e:
        return str(e.code)
    return None


def _listing(root):
    return sorted(osp.relpath(osp.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def test_converter_maps_ids_and_writes_stats(tmp_path):
    root = str(tmp_path / 'synthia')
    make_fake_synthia(root)
    proc = run_tool([sys.executable, TOOL, root, '--nproc', '2'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'converted 2 labels' in proc.stdout
    out = cv2.imread(osp.join(root, 'GT/LABELS/0000000_labelTrainIds.png'), cv2.IMREAD_UNCHANGED)
    assert out.dtype == np.uint8 and out.ndim == 2
    assert np.array_equal(out, _blocks(TRAIN_IDS))
    stats = json.load(open(osp.join(root, 'class_stats.json')))
    assert stats['num_classes'] == 19
    block = (H // 2) * (W // 4)
    assert stats['images'] == [
        dict(seg_map=f'GT/LABELS/{i:07d}_labelTrainIds.png',
             counts={'0': block, '3': block, '10': block, '11': block, '13': 2 * block})
        for i in range(2)]
    assert not [f for f in _listing(root) if '.tmp-' in f]


def test_converter_rerun_converts_the_released_labels(tmp_path, monkeypatch, capsys):
    root = str(tmp_path / 'synthia')
    make_fake_synthia(root)
    for _ in range(2):  # not the train-id files of the first run
        assert convert_in_process(root, monkeypatch) is None
        assert 'converted 2 labels' in capsys.readouterr().out
    assert len([f for f in _listing(root) if f.endswith('_labelTrainIds.png')]) == 2


def test_converter_maps_every_synthia_id(tmp_path, monkeypatch):
    # ids 0..22 of the SYNTHIA README, by hand: 0 void, 1 sky, 2 building, 3 road,
    # 4 sidewalk, 5 fence, 6 vegetation, 7 pole, 8 car, 9 traffic sign, 10 pedestrian,
    # 11 bicycle, 12 motorcycle, 13 parking slot, 14 road work, 15 traffic light, 16 terrain,
    # 17 rider, 18 truck, 19 bus, 20 train, 21 wall, 22 lane marking
    expected = [255, 10, 2, 0, 1, 4, 8, 5, 13, 7, 11, 18, 17, 255, 255, 6, 9, 12, 14, 15, 16,
                3, 255]
    root = str(tmp_path)
    os.makedirs(osp.join(root, 'RGB'))
    cv2.imwrite(osp.join(root, 'RGB', 'all.png'), np.zeros((1, 23, 3), np.uint8))
    write_label(osp.join(root, 'GT', 'LABELS', 'all.png'),
                np.arange(23, dtype=np.uint16)[None])
    assert convert_in_process(root, monkeypatch) is None
    out = cv2.imread(osp.join(root, 'GT/LABELS/all_labelTrainIds.png'), cv2.IMREAD_UNCHANGED)
    assert out[0].tolist() == expected


@pytest.mark.parametrize('missing', ['RGB', 'GT/LABELS'])
def test_converter_names_the_missing_folder(tmp_path, monkeypatch, missing):
    root = str(tmp_path / 'synthia')
    make_fake_synthia(root)
    import shutil
    shutil.rmtree(osp.join(root, missing))
    before = _listing(root)
    message = convert_in_process(root, monkeypatch)
    assert message is not None
    assert message.startswith(f"no folder {osp.join(root, missing)!r}:"), message
    assert 'expected SYNTHIA RAND-CITYSCAPES extracted as <data_root>/RGB/*.png and ' \
           '<data_root>/GT/LABELS/*.png' in message
    assert _listing(root) == before


@pytest.mark.parametrize('bad, expected', [
    (np.full((H, W), 3, np.uint8),
     r"0000001\.png': expected a SYNTHIA label PNG \(16-bit, 3 channels, the class id in the "
     r"first channel\), got 8-bit with 1 channel\(s\)"),
    (np.full((H, W, 3), 3, np.uint8),  # an 8-bit colour PNG (like GT/COLOR)
     r"0000001\.png': expected a SYNTHIA label PNG .*got 8-bit with 3 channel\(s\)"),
    (None,  # class id 40 in the first channel: not a SYNTHIA id
     r"0000001\.png': holds class id\(s\) \[40\]; expected SYNTHIA class ids 0\.\.22 in the "
     r"first channel"),
])
def test_converter_refuses_other_labels_and_writes_nothing(tmp_path, monkeypatch, bad,
                                                           expected):
    import re
    root = str(tmp_path / 'synthia')
    make_fake_synthia(root, n=3)
    label = osp.join(root, 'GT', 'LABELS', '0000001.png')
    if bad is None:
        write_label(label, np.full((H, W), 40, np.uint16))
    else:
        assert cv2.imwrite(label, bad)
    before = _listing(root)
    message = convert_in_process(root, monkeypatch)
    assert message is not None and re.search(expected, message), message
    assert message.startswith('1 of 3 label(s) are not SYNTHIA labels; nothing was written')
    # neither the two good labels' train ids, nor temporary files, nor statistics
    assert _listing(root) == before


def test_dataset_lists_converted_pairs_and_rcs_reads_stats(tmp_path, monkeypatch):
    root = str(tmp_path / 'synthia')
    make_fake_synthia(root)
    assert convert_in_process(root, monkeypatch) is None
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    source = cfg.train_dataloader.dataset.source
    assert source.type == 'SynthiaDataset'
    assert cfg.train_dataloader.dataset.rare_class_sampling is not None
    dataset = DATASETS.build(dict(source, data_root=root))
    assert isinstance(dataset, SynthiaDataset)
    assert len(dataset) == 2 and len(dataset.metainfo['classes']) == 19
    pairs = [(osp.relpath(dataset.get_data_info(i)['img_path'], root),
              osp.relpath(dataset.get_data_info(i)['seg_map_path'], root)) for i in range(2)]
    assert pairs == [(f'RGB/{i:07d}.png', f'GT/LABELS/{i:07d}_labelTrainIds.png')
                     for i in range(2)]
    # the defaults of the class are the released layout
    plain = SynthiaDataset(data_root=root, pipeline=[])
    assert len(plain) == 2 and plain.get_data_info(0)['seg_map_path'] == \
        dataset.get_data_info(0)['seg_map_path']
    # through the config's pipeline (1280 x 760 resize, 512 x 512 crop): train ids only
    sample = dataset[0]['data_samples']
    assert set(sample.gt_sem_seg.data.unique().tolist()) <= {0, 3, 10, 11, 13, 255}
    # Rare Class Sampling finds every image of the dataset in the converter's statistics
    seg_maps = [osp.relpath(dataset.get_data_info(i)['seg_map_path'], root) for i in range(2)]
    rcs = RareClassSampler(load_class_stats(root, 19, 'the converter'), seg_maps,
                           min_pixels=100)
    assert rcs.classes == [0, 3, 10, 11, 13]


# --- SubsetIoUMetric ---------------------------------------------------------------------
FOUR = dict(classes=('a', 'b', 'c', 'd'))
# 9 pixels; by hand (255 = ignored in the labels):
#   a: intersection 2, prediction 3, label 4 -> union 5, IoU 0.4
#   b: intersection 1, prediction 3, label 2 -> union 4, IoU 0.25
#   c: intersection 1, prediction 2, label 2 -> union 3, IoU 1/3
#   d: predicted only where the label is ignored -> union 0, IoU NaN
GT = [[0, 0, 0], [0, 1, 1], [2, 2, 255]]
PRED = [[0, 0, 1], [1, 1, 2], [2, 0, 3]]


def _evaluate(**kwargs):
    metric = SubsetIoUMetric(**kwargs)
    metric.dataset_meta = FOUR
    metric.process({}, [dict(pred_sem_seg=dict(data=torch.tensor([PRED])),
                             gt_sem_seg=dict(data=torch.tensor([GT])))])
    return metric.evaluate(1)


def test_subset_iou_means_by_hand():
    res = _evaluate(subsets=dict(ad=['a', 'd'], bc=[1, 2], only_d=['d']))
    assert res['mIoU'] == pytest.approx(32.78)  # nanmean(0.4, 0.25, 1/3)
    assert res['ad'] == pytest.approx(40.0)  # d is NaN: left out, as in mIoU
    assert res['bc'] == pytest.approx(29.17)  # (0.25 + 1/3) / 2
    assert np.isnan(res['only_d'])
    # nan_to_num applies to the subsets as to mIoU
    res = _evaluate(subsets=dict(ad=['a', 'd']), nan_to_num=0)
    assert res['ad'] == pytest.approx(20.0) and res['mIoU'] == pytest.approx(24.58)


def test_subset_iou_rejects_unknown_classes():
    metric = SubsetIoUMetric(subsets=dict(ab=['a', 'terrain']))
    with pytest.raises(ValueError, match=r"subset 'ab' names class 'terrain', which the "
                                         r"dataset does not have; expected one of \['a'"):
        metric.dataset_meta = FOUR
    metric = SubsetIoUMetric(subsets=dict(ab=[0, 4]))
    with pytest.raises(ValueError, match=r"subset 'ab' has class index 4; expected 0\.\.3"):
        metric.dataset_meta = FOUR
    with pytest.raises(ValueError, match=r"clash with the metrics of IoUMetric"):
        SubsetIoUMetric(subsets=dict(mIoU=['a']))


def test_config_evaluator_is_16_and_13_classes():
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    metric = METRICS.build(cfg.val_evaluator)
    assert isinstance(metric, SubsetIoUMetric)
    metric.dataset_meta = SynthiaDataset.METAINFO
    indices = metric._subset_indices
    assert indices['mIoU16'] == [i for i in range(19) if i not in (9, 14, 16)]
    assert indices['mIoU13'] == [i for i in range(19) if i not in (3, 4, 5, 9, 14, 16)]
