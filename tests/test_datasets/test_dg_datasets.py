# Copyright (c) mmuda contributors. All rights reserved.
"""BDD100K and Mapillary Vistas, the real targets of domain generalisation GTA5 -> {Cityscapes,
BDD100K, Mapillary}: the BDD100K check and the Mapillary converter on small fakes in the real
layouts, the datasets on their output, and the data base config."""
import importlib.util
import json
import os
import os.path as osp
import re
import shutil
import sys

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from mmuda.datasets import BDD100KDataset, MapillaryDataset
from mmuda.datasets.mapillary import (MAPILLARY_TO_TRAIN_ID, V1_CLASSES, V1_PALETTE,
                                      read_mapillary_label)
from mmuda.registry import DATASETS
from mmuda.utils import register_all_modules

from ..helpers import ROOT, run_tool

CONFIG = osp.join(ROOT, 'configs/_base_/datasets/dg_gta_to_cityscapes_bdd_mapillary.py')
GTA_CONFIG = osp.join(ROOT, 'configs/_base_/datasets/uda_gta_to_cityscapes_512x512.py')
BDD_TOOL = osp.join(ROOT, 'tools/dataset_converters/bdd100k.py')
MAPILLARY_TOOL = osp.join(ROOT, 'tools/dataset_converters/mapillary.py')
CITYSCAPES_CLASSES = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
                      'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car',
                      'truck', 'bus', 'train', 'motorcycle', 'bicycle')

# Mapillary v1.2 classes of the fakes, by hand from config.json (class id = index there, with
# its colour) and the RobustNet / HRDA table (train id; 255 = ignored)
HAND = {
    13: ('Road', (128, 64, 128), 0),
    55: ('Car', (0, 0, 142), 13),
    27: ('Sky', (70, 130, 180), 10),
    8: ('Crosswalk - Plain', (140, 140, 200), 255),  # a class outside the 19
    24: ('Lane Marking - General', (255, 255, 255), 0),
    65: ('Unlabeled', (0, 0, 0), 255),
    19: ('Person', (220, 20, 60), 11),
    49: ('Traffic Sign (Back)', (192, 192, 192), 255),
}
MAPILLARY_IDS = np.array([[13, 55, 27, 8], [24, 65, 19, 49]], dtype=np.uint8)
MAPILLARY_TRAIN_IDS = np.array([[0, 13, 10, 255], [0, 255, 11, 255]], dtype=np.uint8)
# BDD100K labels are train ids: road, car, sky, ignore / person, building, vegetation, bicycle
BDD_TRAIN_IDS = np.array([[0, 13, 10, 255], [11, 2, 8, 18]], dtype=np.uint8)
BDD_NAMES = ('7d06fefd-f7be05a6', 'b1c66a42-6f7d68ca')
MAPILLARY_NAMES = ('-0ZV0dq_3vXMrZv2kbsGhw', 'zzZm8Rq1hL4cWKs6z0DfSQ')
# (height, width): a 4:3 and a 16:9 image, as Mapillary has both; BDD100K is 16:9
MAPILLARY_SIZES = ((24, 32), (18, 32))
BDD_SIZE = (18, 32)


def _blocks(grid, h, w):
    """``grid`` (2 x 4) scaled to h x w (rows split at h // 2, columns every w // 4)."""
    rows = np.repeat(np.arange(2), [h // 2, h - h // 2])
    cols = np.repeat(np.arange(4), w // 4)
    return grid[rows][:, cols]


def _jpg(path, h, w, seed):
    os.makedirs(osp.dirname(path), exist_ok=True)
    rgb = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(path)


def _hand_palette():
    """A palette with the hand-written colours of HAND at their class ids, black elsewhere."""
    palette = np.zeros((256, 3), np.uint8)
    for class_id, (_, colour, _) in HAND.items():
        palette[class_id] = colour
    return palette.ravel().tolist()


def write_mapillary_label(path, ids, palette=None):
    """A released-format label: an 8-bit palette PNG, value = class id."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = Image.fromarray(ids.astype(np.uint8), mode='P')
    img.putpalette(palette or _hand_palette())
    img.save(path)


def make_fake_mapillary(root, split='validation', label_dir='labels', config=True):
    for i, (name, (h, w)) in enumerate(zip(MAPILLARY_NAMES, MAPILLARY_SIZES)):
        _jpg(osp.join(root, split, 'images', f'{name}.jpg'), h, w, i)
        write_mapillary_label(osp.join(root, split, label_dir, f'{name}.png'),
                              _blocks(MAPILLARY_IDS, h, w))
    if config:
        write_config_json(osp.join(root, 'config.json'))


def write_config_json(path, classes=None, palette=None):
    labels = [dict(color=list(c), instances=False, readable=n, name=n.lower(), evaluate=True)
              for n, c in zip(classes or V1_CLASSES, palette or V1_PALETTE)]
    with open(path, 'w') as f:
        json.dump(dict(labels=labels, version='1.2'), f)


def make_fake_bdd(root, layout='10k', split='val'):
    for i, name in enumerate(BDD_NAMES):
        if layout == '10k':
            img = osp.join(root, 'images', '10k', split, f'{name}.jpg')
            label = osp.join(root, 'labels', 'sem_seg', 'masks', split, f'{name}.png')
        else:  # the former bdd100k_seg.zip
            img = osp.join(root, 'seg', 'images', split, f'{name}.jpg')
            label = osp.join(root, 'seg', 'labels', split, f'{name}_train_id.png')
        _jpg(img, *BDD_SIZE, seed=i)
        os.makedirs(osp.dirname(label), exist_ok=True)
        Image.fromarray(_blocks(BDD_TRAIN_IDS, *BDD_SIZE), mode='L').save(label)


def _run_main(tool, args, monkeypatch):
    """Run a converter's main() here (faster than a new interpreter); returns its exit
    message, or None when it succeeded."""
    spec = importlib.util.spec_from_file_location(osp.basename(tool)[:-3] + '_tool', tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, 'argv', [tool] + list(args))
    try:
        module.main()
    except SystemExit as e:
        return str(e.code)
    return None


def _listing(root):
    return sorted(osp.relpath(osp.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def _read(path):
    return np.asarray(Image.open(path))


# --- the mapping -----------------------------------------------------------------------------
def test_hand_classes_are_those_of_the_v1_2_table():
    for class_id, (name, colour, _) in HAND.items():
        assert V1_CLASSES[class_id] == name and V1_PALETTE[class_id] == colour
    assert len(V1_CLASSES) == len(set(V1_PALETTE)) == 66


def test_mapping_is_the_robustnet_table():
    # shachoi/RobustNet datasets/mapillary.py, by class id (= lhoyer/HRDA
    # tools/convert_datasets/mapillary.py): road 13, 24, 41; sidewalk 2, 15; building 17;
    # wall 6; fence 3; pole 45, 47; light 48; sign 50; vegetation 30; terrain 29; sky 27;
    # person 19; rider 20, 21, 22; car 55; truck 61; bus 54; train 58; motorcycle 57;
    # bicycle 52
    by_id = {13: 0, 24: 0, 41: 0, 2: 1, 15: 1, 17: 2, 6: 3, 3: 4, 45: 5, 47: 5, 48: 6, 50: 7,
             30: 8, 29: 9, 27: 10, 19: 11, 20: 12, 21: 12, 22: 12, 55: 13, 61: 14, 54: 15,
             58: 16, 57: 17, 52: 18}
    assert {V1_CLASSES.index(n): t for n, t in MAPILLARY_TO_TRAIN_ID.items()} == by_id
    assert sorted(set(by_id.values())) == list(range(19))


# --- Mapillary converter -----------------------------------------------------------------------
def test_mapillary_converter_maps_classes(tmp_path):
    root = str(tmp_path / 'mapillary')
    make_fake_mapillary(root)
    proc = run_tool([sys.executable, MAPILLARY_TOOL, root, '--nproc', '2'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'validation: converted 2 labels' in proc.stdout
    for name, (h, w) in zip(MAPILLARY_NAMES, MAPILLARY_SIZES):
        out = Image.open(osp.join(root, 'validation/labels', f'{name}_labelTrainIds.png'))
        assert out.mode == 'L' and out.size == (w, h)
        assert np.array_equal(np.asarray(out), _blocks(MAPILLARY_TRAIN_IDS, h, w))
    # hand-chosen pixels: Car -> 13, Road -> 0, Crosswalk - Plain (not a Cityscapes class),
    # Unlabeled -> 255
    out = _read(osp.join(root, 'validation/labels', f'{MAPILLARY_NAMES[0]}_labelTrainIds.png'))
    assert (out[0, 8], out[0, 0], out[0, 31], out[23, 8]) == (13, 0, 255, 255)
    assert not [f for f in _listing(root) if '.tmp-' in f]


def test_mapillary_converter_maps_every_class_and_reruns(tmp_path, monkeypatch, capsys):
    root = str(tmp_path)
    _jpg(osp.join(root, 'validation/images/all.jpg'), 1, 66, 0)
    write_mapillary_label(osp.join(root, 'validation/labels/all.png'),
                          np.arange(66, dtype=np.uint8)[None],
                          palette=[v for c in V1_PALETTE for v in c])
    for _ in range(2):  # a re-run converts the released labels, not the train-id files
        assert _run_main(MAPILLARY_TOOL, [root, '--nproc', '1'], monkeypatch) is None
        assert 'validation: converted 1 labels' in capsys.readouterr().out
    expected = [255] * 66
    for class_id, train_id in {13: 0, 24: 0, 41: 0, 2: 1, 15: 1, 17: 2, 6: 3, 3: 4, 45: 5,
                               47: 5, 48: 6, 50: 7, 30: 8, 29: 9, 27: 10, 19: 11, 20: 12,
                               21: 12, 22: 12, 55: 13, 61: 14, 54: 15, 58: 16, 57: 17,
                               52: 18}.items():
        expected[class_id] = train_id
    assert _read(osp.join(root, 'validation/labels/all_labelTrainIds.png'))[0].tolist() == \
        expected


def test_mapillary_converter_reads_rgb_colour_labels(tmp_path, monkeypatch):
    root = str(tmp_path)
    make_fake_mapillary(root, config=False)
    name, (h, w) = MAPILLARY_NAMES[1], MAPILLARY_SIZES[1]
    colours = np.array([[HAND[int(i)][1] for i in row] for row in MAPILLARY_IDS], np.uint8)
    Image.fromarray(_blocks(colours, h, w), mode='RGB').save(
        osp.join(root, 'validation/labels', f'{name}.png'))
    assert _run_main(MAPILLARY_TOOL, [root, '--nproc', '1'], monkeypatch) is None
    assert np.array_equal(_read(osp.join(root, 'validation/labels', f'{name}_labelTrainIds.png')),
                          _blocks(MAPILLARY_TRAIN_IDS, h, w))


def _palette_with(class_id, colour):
    palette = np.array(_hand_palette(), np.uint8).reshape(256, 3)
    palette[class_id] = colour
    return palette.ravel().tolist()


@pytest.mark.parametrize('write, expected', [
    (lambda p: Image.fromarray(np.full((18, 32), 70, np.uint8), mode='L').save(p),
     r"holds class id\(s\) \[70\]; expected Mapillary Vistas v1\.2 class ids 0\.\.65"),
    (lambda p: Image.fromarray(np.full((18, 32, 3), 7, np.uint8), mode='RGB').save(p),
     r"holds 576 pixel\(s\) of unknown colour\(s\) \[\(7, 7, 7\)\]; expected the 66 colours"),
    # v2.0 numbering: index 13 is another class with another colour
    (lambda p: write_mapillary_label(p, _blocks(MAPILLARY_IDS, 18, 32),
                                     palette=_palette_with(13, (110, 110, 110))),
     r"its palette gives class id 13 the colour \(110, 110, 110\); expected \(128, 64, 128\) "
     r"\('Road'\) of Mapillary Vistas v1\.2"),
    (lambda p: Image.fromarray(np.zeros((18, 32, 4), np.uint8), mode='RGBA').save(p),
     r"is an image of mode 'RGBA'; expected a Mapillary Vistas v1\.2 label PNG"),
])
def test_mapillary_converter_refuses_other_labels_and_writes_nothing(tmp_path, monkeypatch,
                                                                     write, expected):
    root = str(tmp_path / 'mapillary')
    make_fake_mapillary(root)
    _jpg(osp.join(root, 'validation/images/bad.jpg'), 18, 32, 9)
    write(osp.join(root, 'validation/labels/bad.png'))
    before = _listing(root)
    message = _run_main(MAPILLARY_TOOL, [root, '--nproc', '1'], monkeypatch)
    assert message is not None
    assert message.startswith('validation: 1 of 3 label(s) are not Mapillary Vistas v1.2 '
                              'labels; nothing was written'), message
    bad = osp.join(root, 'validation/labels/bad.png')
    assert re.search(re.escape(repr(bad)) + ': ' + expected, message), message
    assert _listing(root) == before  # neither the good labels' outputs nor temporary files


@pytest.mark.parametrize('change, expected', [
    (dict(classes=V1_CLASSES[:65], palette=V1_PALETTE[:65]),
     r"lists 65 classes; expected the 66 of Mapillary Vistas v1\.2"),
    (dict(palette=[(1, 2, 3)] + list(V1_PALETTE[1:])),
     r"class 0 is 'Bird' \(1, 2, 3\); expected 'Bird' \(165, 42, 42\)"),
])
def test_mapillary_converter_checks_config_json(tmp_path, monkeypatch, change, expected):
    root = str(tmp_path)
    make_fake_mapillary(root)
    write_config_json(osp.join(root, 'config.json'), **change)
    before = _listing(root)
    message = _run_main(MAPILLARY_TOOL, [root, '--nproc', '1'], monkeypatch)
    assert message is not None and message.startswith(repr(osp.join(root, 'config.json')))
    assert re.search(expected, message), message
    assert _listing(root) == before


@pytest.mark.parametrize('missing, named', [
    ('validation/images', 'validation/images'),
    ('validation/labels', 'validation/labels'),
])
def test_mapillary_converter_names_the_missing_folder(tmp_path, monkeypatch, missing, named):
    root = str(tmp_path / 'mapillary')
    make_fake_mapillary(root)
    shutil.rmtree(osp.join(root, missing))
    message = _run_main(MAPILLARY_TOOL, [root, '--nproc', '1'], monkeypatch)
    assert message is not None and message.startswith(f'no folder {osp.join(root, named)!r}')
    assert 'expected Mapillary Vistas v1.2 extracted as <data_root>/<split>/images/*.jpg' \
        in message
    # a split not extracted at all
    message = _run_main(MAPILLARY_TOOL, [root, '--splits', 'training'], monkeypatch)
    assert message.startswith(f"no folder {osp.join(root, 'training/images')!r}")
    message = _run_main(MAPILLARY_TOOL, [str(tmp_path / 'nowhere')], monkeypatch)
    assert message.startswith(f"no folder {str(tmp_path / 'nowhere')!r}")


def test_mapillary_converter_label_without_image(tmp_path, monkeypatch):
    root = str(tmp_path)
    make_fake_mapillary(root)
    os.remove(osp.join(root, 'validation/images', f'{MAPILLARY_NAMES[1]}.jpg'))
    message = _run_main(MAPILLARY_TOOL, [root], monkeypatch)
    assert message.startswith('1 label(s) have no image (.jpg) in'), message
    assert f'{MAPILLARY_NAMES[1]}.png' in message


def test_mapillary_converter_reads_the_v1_2_labels_of_the_v2_zip(tmp_path, monkeypatch):
    root = str(tmp_path)
    make_fake_mapillary(root, label_dir='v1.2/labels', config=False)
    write_config_json(osp.join(root, 'config_v1.2.json'))
    assert _run_main(MAPILLARY_TOOL, [root, '--nproc', '1'], monkeypatch) is None
    register_all_modules()
    dataset = MapillaryDataset(data_root=root, pipeline=[], data_prefix=dict(
        img_path='validation/images', seg_map_path='validation/v1.2/labels'))
    assert len(dataset) == 2
    assert dataset.get_data_info(0)['seg_map_path'].endswith(
        f'validation/v1.2/labels/{MAPILLARY_NAMES[0]}_labelTrainIds.png')


def test_read_mapillary_label_names_an_unreadable_file(tmp_path):
    path = str(tmp_path / 'broken.png')
    open(path, 'wb').write(b'not a png')
    with pytest.raises(ValueError, match=re.escape(repr(path)) + ': cannot be read as an image'):
        read_mapillary_label(path)


# --- BDD100K check ---------------------------------------------------------------------------
@pytest.mark.parametrize('layout', ['10k', 'seg'])
def test_bdd_check_accepts_both_layouts(tmp_path, monkeypatch, capsys, layout):
    root = str(tmp_path / 'bdd100k')
    make_fake_bdd(root, layout)
    before = _listing(root)
    assert _run_main(BDD_TOOL, [root, '--nproc', '1'], monkeypatch) is None
    out = capsys.readouterr().out
    assert f'val: 2 image/label pairs, all labels train ids 0..18 or 255 ({layout} layout' in out
    assert _listing(root) == before  # nothing converted


def test_bdd_check_in_parallel(tmp_path):
    root = str(tmp_path / 'bdd100k')
    make_fake_bdd(root)
    proc = run_tool([sys.executable, BDD_TOOL, root, '--nproc', '2'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'val: 2 image/label pairs' in proc.stdout


@pytest.mark.parametrize('write, expected', [
    (lambda p: Image.fromarray(np.full(BDD_SIZE, 19, np.uint8), mode='L').save(p),
     r"holds id\(s\) \[19\] in 576 pixel\(s\); expected train ids 0\.\.18 or 255 \(ignore\)"),
    # a colour map (labels/sem_seg/colormaps) instead of the masks
    (lambda p: Image.fromarray(np.zeros(BDD_SIZE + (3, ), np.uint8), mode='RGB').save(p),
     r"has shape \(18, 32, 3\); expected a single-channel label map"),
])
def test_bdd_check_names_bad_labels(tmp_path, monkeypatch, write, expected):
    root = str(tmp_path / 'bdd100k')
    make_fake_bdd(root)
    bad = osp.join(root, 'labels/sem_seg/masks/val', f'{BDD_NAMES[1]}.png')
    write(bad)
    message = _run_main(BDD_TOOL, [root, '--nproc', '1'], monkeypatch)
    assert message is not None
    assert message.startswith('val: 1 of 2 label(s) are not BDD100K train-id labels'), message
    assert re.search(re.escape(bad) + ': ' + expected, message), message


def test_bdd_check_names_missing_files_and_folders(tmp_path, monkeypatch):
    root = str(tmp_path / 'bdd100k')
    make_fake_bdd(root)
    label = osp.join(root, 'labels/sem_seg/masks/val', f'{BDD_NAMES[0]}.png')
    os.remove(label)
    message = _run_main(BDD_TOOL, [root], monkeypatch)
    assert message.startswith("val: 1 image(s) have no label (<name>.png) in"), message
    assert f'{BDD_NAMES[0]}.jpg' in message
    shutil.rmtree(osp.join(root, 'labels'))
    message = _run_main(BDD_TOOL, [root], monkeypatch)
    assert message.startswith(
        f"no folder {osp.join(root, 'labels/sem_seg/masks/val')!r} (the labels of"), message
    message = _run_main(BDD_TOOL, [root, '--splits', 'train'], monkeypatch)
    assert message.startswith(f"no folder {osp.join(root, 'images/10k/train')!r} nor "
                              f"{osp.join(root, 'seg/images/train')!r}: expected BDD100K "
                              f"extracted as <data_root>/images/10k/train/*.jpg"), message


# --- datasets and the data base ----------------------------------------------------------------
def _make_fake_cityscapes_val(root):
    stem = 'frankfurt_000000_000294'
    img = osp.join(root, 'leftImg8bit/val/frankfurt', f'{stem}_leftImg8bit.png')
    _jpg(img, 16, 32, 3)  # written as PNG by the suffix
    gt = osp.join(root, 'gtFine/val/frankfurt', f'{stem}_gtFine_labelTrainIds.png')
    os.makedirs(osp.dirname(gt))
    Image.fromarray(_blocks(BDD_TRAIN_IDS, 16, 32), mode='L').save(gt)


def _pairs(dataset, root):
    return [(osp.relpath(dataset.get_data_info(i)['img_path'], root),
             osp.relpath(dataset.get_data_info(i)['seg_map_path'], root))
            for i in range(len(dataset))]


def test_config_base_parses_and_clashes_with_nothing():
    cfg = Config.fromfile(CONFIG)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
                'test_evaluator'):
        assert key not in cfg
    assert not set(cfg.keys()) & set(Config.fromfile(GTA_CONFIG).keys())
    assert cfg.bdd_val.type == 'BDD100KDataset' and cfg.mapillary_val.type == 'MapillaryDataset'
    assert cfg.bdd_val.pipeline == cfg.mapillary_val.pipeline == cfg.dg_test_pipeline
    # the same whole-image test resize as the GTA -> Cityscapes base
    assert cfg.dg_test_pipeline == Config.fromfile(GTA_CONFIG).test_pipeline


def test_datasets_of_the_config_base(tmp_path, monkeypatch):
    register_all_modules()
    bdd_root, map_root = str(tmp_path / 'bdd100k'), str(tmp_path / 'mapillary')
    city_root = str(tmp_path / 'cityscapes')
    make_fake_bdd(bdd_root)
    make_fake_bdd(bdd_root, layout='seg')
    make_fake_mapillary(map_root)
    _make_fake_cityscapes_val(city_root)
    assert _run_main(MAPILLARY_TOOL, [map_root, '--nproc', '1'], monkeypatch) is None
    cfg = Config.fromfile(CONFIG)

    bdd = DATASETS.build(dict(cfg.bdd_val, data_root=bdd_root))
    assert isinstance(bdd, BDD100KDataset)
    assert bdd.metainfo['classes'] == CITYSCAPES_CLASSES
    assert _pairs(bdd, bdd_root) == [(f'images/10k/val/{n}.jpg',
                                      f'labels/sem_seg/masks/val/{n}.png') for n in BDD_NAMES]
    old = DATASETS.build(dict(cfg.bdd_val_seg_release, data_root=bdd_root))
    assert _pairs(old, bdd_root) == [(f'seg/images/val/{n}.jpg',
                                      f'seg/labels/val/{n}_train_id.png') for n in BDD_NAMES]
    # the class's defaults are the config's current-release layout
    assert _pairs(BDD100KDataset(data_root=bdd_root, pipeline=[]), bdd_root) == \
        _pairs(bdd, bdd_root)

    mapillary = DATASETS.build(dict(cfg.mapillary_val, data_root=map_root))
    assert isinstance(mapillary, MapillaryDataset)
    assert mapillary.metainfo['classes'] == CITYSCAPES_CLASSES
    assert _pairs(mapillary, map_root) == [
        (f'validation/images/{n}.jpg', f'validation/labels/{n}_labelTrainIds.png')
        for n in MAPILLARY_NAMES]
    assert _pairs(MapillaryDataset(data_root=map_root, pipeline=[]), map_root) == \
        _pairs(mapillary, map_root)

    city = DATASETS.build(dict(cfg.cityscapes_val, data_root=city_root))
    assert len(city) == 1

    # through the test pipeline: the shorter side resized to 512 (1024 x 512 box, ratio
    # kept), the labels at full resolution
    for dataset, sizes, grid in ((bdd, [BDD_SIZE] * 2, BDD_TRAIN_IDS),
                                 (mapillary, MAPILLARY_SIZES, MAPILLARY_TRAIN_IDS)):
        for i, (h, w) in enumerate(sizes):
            item = dataset[i]
            assert item['inputs'].shape == (3, 512, round(w * 512 / h))
            gt = item['data_samples'].gt_sem_seg.data[0].numpy()
            assert np.array_equal(gt, _blocks(grid, h, w))
            assert item['data_samples'].ori_shape == (h, w)


def test_method_config_lists_both_bases_and_command_line_override(tmp_path):
    register_all_modules()
    method = tmp_path / 'method.py'
    method.write_text(f'_base_ = [{GTA_CONFIG!r}, {CONFIG!r}]\n'
                      'test_dataloader = dict(dataset=dict(_base_.bdd_val, _delete_=True))\n')
    cfg = Config.fromfile(str(method))
    base = Config.fromfile(CONFIG)
    assert cfg.test_dataloader.dataset == base.bdd_val
    assert cfg.val_dataloader.dataset.type == 'CityscapesDataset'  # training still validates
    # the --cfg-options of the config's comment give the same datasets
    root = str(tmp_path / 'data')
    make_fake_bdd(osp.join(root, 'bdd100k'))
    make_fake_mapillary(osp.join(root, 'mapillary'))
    write_converted(osp.join(root, 'mapillary'))
    for options, expected in (
            (dict(type='BDD100KDataset', data_root=osp.join(root, 'bdd100k'),
                  img_path='images/10k/val', seg_map_path='labels/sem_seg/masks/val'),
             base.bdd_val),
            (dict(type='MapillaryDataset', data_root=osp.join(root, 'mapillary'),
                  img_path='validation/images', seg_map_path='validation/labels'),
             base.mapillary_val)):
        gta = Config.fromfile(GTA_CONFIG)
        prefix = 'test_dataloader.dataset.'
        gta.merge_from_dict({
            prefix + 'type': options['type'], prefix + 'data_root': options['data_root'],
            prefix + 'data_prefix.img_path': options['img_path'],
            prefix + 'data_prefix.seg_map_path': options['seg_map_path']})
        got = DATASETS.build(gta.test_dataloader.dataset)
        want = DATASETS.build(dict(expected, data_root=options['data_root']))
        assert type(got) is type(want) and len(got) == 2
        assert _pairs(got, root) == _pairs(want, root)


def write_converted(root):
    """The train-id PNGs of the fake Mapillary, written directly (as the converter would)."""
    for name, (h, w) in zip(MAPILLARY_NAMES, MAPILLARY_SIZES):
        path = osp.join(root, 'validation/labels', f'{name}_labelTrainIds.png')
        Image.fromarray(_blocks(MAPILLARY_TRAIN_IDS, h, w), mode='L').save(path)


def test_datasets_name_the_missing_folder(tmp_path):
    register_all_modules()
    root = str(tmp_path / 'mapillary')
    with pytest.raises(FileNotFoundError, match=r"the data root '.*mapillary' does not exist"):
        MapillaryDataset(data_root=root, pipeline=[])
    make_fake_mapillary(root)
    # the released labels are there but not converted
    with pytest.raises(FileNotFoundError,
                       match=r"the label folder '.*validation/labels' holds no labels ending in "
                             r"'_labelTrainIds\.png'\. Convert the released labels first: "
                             r"python tools/dataset_converters/mapillary\.py"):
        MapillaryDataset(data_root=root, pipeline=[])
    shutil.rmtree(osp.join(root, 'validation/labels'))
    with pytest.raises(FileNotFoundError,
                       match=r"MapillaryDataset \(data_root='.*'\): the label folder "
                             r"'.*validation/labels' does not exist\. Expected the train-id "
                             r"labels ending in '_labelTrainIds\.png' written by tools/"):
        MapillaryDataset(data_root=root, pipeline=[])
    shutil.rmtree(osp.join(root, 'validation/images'))
    with pytest.raises(FileNotFoundError, match=r"the image folder '.*validation/images' does "
                                                r"not exist"):
        MapillaryDataset(data_root=root, pipeline=[])

    root = str(tmp_path / 'bdd100k')
    make_fake_bdd(root)
    shutil.rmtree(osp.join(root, 'labels'))
    with pytest.raises(FileNotFoundError,
                       match=r"BDD100KDataset \(data_root='.*'\): the label folder "
                             r"'.*labels/sem_seg/masks/val' does not exist"):
        BDD100KDataset(data_root=root, pipeline=[])
