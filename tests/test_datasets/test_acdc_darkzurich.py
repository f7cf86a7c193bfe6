# Copyright (c) mmuda contributors. All rights reserved.
"""ACDC and Dark Zurich, the real adverse-condition targets of Cityscapes -> ACDC / Dark Zurich:
the converters, the datasets and the data base configs on small fakes in the released layouts,
and the submission for their test servers."""
import importlib.util
import os
import os.path as osp
import re
import shutil
import sys
import zipfile

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from PIL import Image

from mmuda.datasets import ACDCDataset, DarkZurichDataset
from mmuda.evaluation.test_server import ServerSubmissionMetric, read_submission
from mmuda.registry import DATASETS, METRICS
from mmuda.utils import register_all_modules
from mmuda.utils.config_check import check_top_level_keys

from ..helpers import ROOT

ACDC_TOOL = osp.join(ROOT, 'tools/dataset_converters/acdc.py')
DZ_TOOL = osp.join(ROOT, 'tools/dataset_converters/dark_zurich.py')
CITYSCAPES_TOOL = osp.join(ROOT, 'tools/dataset_converters/cityscapes.py')
BASES = osp.join(ROOT, 'configs/_base_/datasets')
ACDC_512 = osp.join(BASES, 'uda_cityscapes_to_acdc_512x512.py')
ACDC_HR = osp.join(BASES, 'uda_cityscapesHR_to_acdcHR_1024x1024.py')
DZ_512 = osp.join(BASES, 'uda_cityscapes_to_darkzurich_512x512.py')
DZ_HR = osp.join(BASES, 'uda_cityscapesHR_to_darkzurichHR_1024x1024.py')
CITYSCAPES_CLASSES = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
                      'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car',
                      'truck', 'bus', 'train', 'motorcycle', 'bicycle')

H, W = 32, 64
# Cityscapes label ids of the fakes and their train ids, by hand from cityscapesScripts'
# labels.py: road 7 -> 0, car 26 -> 13, sky 23 -> 10, unlabeled 0 -> 255 / person 24 -> 11,
# building 11 -> 2, parking 9 (not evaluated) -> 255, bicycle 33 -> 18; 250 is no label id.
LABEL_IDS = np.array([[7, 26, 23, 0], [24, 11, 9, 33]], np.uint8)
TRAIN_IDS = np.array([[0, 13, 10, 255], [11, 2, 255, 18]], np.uint8)
# one recording per condition (ACDC's are GoPro recordings) and its frames of each split
ACDC_SEQ = dict(fog='GOPR0475', night='GOPR0351', rain='GOPR0400', snow='GOPR0122')
ACDC_FRAMES = dict(train=('000041', '000127'), val=('000257', ), test=('000301', '000302'))


def _blocks(grid, h=H, w=W):
    rows = np.repeat(np.arange(grid.shape[0]), h // grid.shape[0])
    cols = np.repeat(np.arange(grid.shape[1]), w // grid.shape[1])
    return grid[rows][:, cols]


def _rgb(path, seed, h=H, w=W):
    os.makedirs(osp.dirname(path), exist_ok=True)
    rgb = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(path)


def _grey(path, array):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(array, mode='L').save(path)


def acdc_stem(condition, split, frame):
    return f'{ACDC_SEQ[condition]}_frame_{frame}'


def make_fake_acdc(root, conditions=tuple(ACDC_SEQ)):
    """ACDC as extracted from rgb_anon_trainvaltest.zip and gt_trainval.zip: images of every
    split with their day-time references, label ids (with colour maps) of train and val."""
    for c, condition in enumerate(conditions):
        seq = ACDC_SEQ[condition]
        for split, frames in ACDC_FRAMES.items():
            for i, frame in enumerate(frames):
                stem = acdc_stem(condition, split, frame)
                _rgb(osp.join(root, 'rgb_anon', condition, split, seq, f'{stem}_rgb_anon.png'),
                     100 * c + i)
                _rgb(osp.join(root, 'rgb_anon', condition, f'{split}_ref', seq,
                              f'{stem}_rgb_ref_anon.png'), 7)
                if split == 'test':
                    continue
                gt = osp.join(root, 'gt', condition, split, seq, stem)
                _grey(f'{gt}_gt_labelIds.png', _blocks(LABEL_IDS))
                _rgb(f'{gt}_gt_labelColor.png', 9)  # colour maps: not labels


DZ_VAL = ('GOPR0356_frame_000321', 'GOPR0356_frame_000400')
DZ_TEST = ('GOPR0364_frame_000001', 'GOPR0364_frame_000002')
DZ_TRAIN = dict(night=('GOPR0594_frame_000100', 'GOPR0594_frame_000200'),
                day=('GOPR0599_frame_000010', ), twilight=('GOPR0595_frame_000020', ))


def make_fake_dark_zurich(root):
    """Dark Zurich as extracted from Dark_Zurich_{train,val}_anon.zip and
    Dark_Zurich_test_anon_withoutGt.zip."""
    for time, stems in DZ_TRAIN.items():
        for i, stem in enumerate(stems):
            seq = stem.split('_')[0]
            _rgb(osp.join(root, 'rgb_anon/train', time, seq, f'{stem}_rgb_anon.png'), i)
    for i, stem in enumerate(DZ_VAL):
        _rgb(osp.join(root, 'rgb_anon/val/night/GOPR0356', f'{stem}_rgb_anon.png'), 10 + i)
        _rgb(osp.join(root, 'rgb_anon/val_ref/day/GOPR0356_ref', f'{stem}_ref_rgb_anon.png'), 3)
        _grey(osp.join(root, 'gt/val/night/GOPR0356', f'{stem}_gt_labelIds.png'),
              _blocks(LABEL_IDS))
    for i, stem in enumerate(DZ_TEST):
        _rgb(osp.join(root, 'rgb_anon/test/night/GOPR0364', f'{stem}_rgb_anon.png'), 20 + i)


def _run_main(tool, args, monkeypatch):
    """Run a converter's main() here; returns its exit message, or None on success."""
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


def _pairs(dataset, root):
    return [(osp.relpath(dataset.get_data_info(i)['img_path'], root),
             osp.relpath(dataset.get_data_info(i)['seg_map_path'], root)
             if 'seg_map_path' in dataset.get_data_info(i) else None)
            for i in range(len(dataset))]


def _acdc_pair(condition, split, frame, labels=True):
    seq, stem = ACDC_SEQ[condition], acdc_stem(condition, split, frame)
    label = f'gt/{condition}/{split}/{seq}/{stem}_gt_labelTrainIds.png' if labels else None
    return f'rgb_anon/{condition}/{split}/{seq}/{stem}_rgb_anon.png', label


@pytest.fixture
def acdc(tmp_path, monkeypatch):
    root = str(tmp_path / 'acdc')
    make_fake_acdc(root)
    assert _run_main(ACDC_TOOL, [root, '--nproc', '1'], monkeypatch) is None
    return root


@pytest.fixture
def dark_zurich(tmp_path, monkeypatch):
    root = str(tmp_path / 'dark_zurich')
    make_fake_dark_zurich(root)
    assert _run_main(DZ_TOOL, [root, '--nproc', '1'], monkeypatch) is None
    return root


# --- converters --------------------------------------------------------------------------
def test_acdc_converter_maps_label_ids_to_train_ids(tmp_path, monkeypatch, capsys):
    root = str(tmp_path / 'acdc')
    make_fake_acdc(root)
    released = _listing(root)
    assert _run_main(ACDC_TOOL, [root, '--nproc', '2'], monkeypatch) is None
    assert 'converted 12 labels to *_gt_labelTrainIds.png' in capsys.readouterr().out
    written = sorted(set(_listing(root)) - set(released))
    # one train-id map beside each released label-id map of train and val, nothing else
    assert written == sorted(
        f'gt/{c}/{s}/{ACDC_SEQ[c]}/{acdc_stem(c, s, f)}_gt_labelTrainIds.png'
        for c in ACDC_SEQ for s in ('train', 'val') for f in ACDC_FRAMES[s])
    out = Image.open(osp.join(root, written[0]))
    assert out.mode == 'L' and out.size == (W, H)
    assert np.array_equal(np.asarray(out), _blocks(TRAIN_IDS))
    # hand-picked pixels: road (7) -> 0, car (26) -> 13, parking (9, not evaluated) -> 255
    assert (out.getpixel((0, 0)), out.getpixel((20, 0)), out.getpixel((40, 20))) == (0, 13, 255)
    # a re-run converts the released labels again (not the written ones)
    assert _run_main(ACDC_TOOL, [root, '--nproc', '1', '--conditions', 'fog', '--splits',
                                 'val'], monkeypatch) is None
    assert 'converted 1 labels' in capsys.readouterr().out
    assert sorted(set(_listing(root)) - set(released)) == written


def test_unknown_label_id_becomes_ignore(tmp_path, monkeypatch):
    root = str(tmp_path / 'acdc')
    make_fake_acdc(root, conditions=('fog', ))
    gt = osp.join(root, 'gt/fog/val/GOPR0475', acdc_stem('fog', 'val', '000257'))
    ids = np.array([[7, 250, 34, 255, 33, 1]], np.uint8)  # 250, 34, 255: no Cityscapes class
    _grey(f'{gt}_gt_labelIds.png', ids)
    assert _run_main(ACDC_TOOL, [root, '--nproc', '1', '--conditions', 'fog'],
                     monkeypatch) is None
    assert _read(f'{gt}_gt_labelTrainIds.png').tolist() == [[0, 255, 255, 255, 18, 255]]


def test_converters_refuse_other_images_and_write_nothing(tmp_path, monkeypatch):
    root = str(tmp_path / 'acdc')
    make_fake_acdc(root, conditions=('fog', 'rain'))
    bad = osp.join(root, 'gt/rain/train/GOPR0400', 'GOPR0400_frame_000041_gt_labelIds.png')
    _rgb(bad, 1)  # a colour map saved under the label-id name
    before = _listing(root)
    message = _run_main(ACDC_TOOL, [root, '--nproc', '1', '--conditions', 'fog', 'rain'],
                        monkeypatch)
    assert message.startswith('1 of 6 label(s) are not Cityscapes label-id PNGs; nothing was '
                              'written'), message
    assert f"{bad!r}: is an image of mode 'RGB'; expected a one-channel PNG of Cityscapes " \
        'label ids' in message
    assert _listing(root) == before  # no train-id map, no temporary file

    root = str(tmp_path / 'dark_zurich')
    make_fake_dark_zurich(root)
    bad = osp.join(root, 'gt/val/night/GOPR0356', f'{DZ_VAL[1]}_gt_labelIds.png')
    open(bad, 'wb').write(b'not a png')
    before = _listing(root)
    message = _run_main(DZ_TOOL, [root, '--nproc', '1'], monkeypatch)
    assert message.startswith('1 of 2 label(s) are not Cityscapes label-id PNGs'), message
    assert f'{bad!r}: cannot be read as an image' in message
    assert _listing(root) == before


def test_converters_name_the_missing_folder(tmp_path, monkeypatch):
    root = str(tmp_path / 'acdc')
    message = _run_main(ACDC_TOOL, [root], monkeypatch)
    assert message.startswith(f"no folder {osp.join(root, 'gt')!r}: expected ACDC extracted as "
                              '<data_root>/rgb_anon/<condition>/<split>/<sequence>/'), message
    make_fake_acdc(root, conditions=('fog', 'night', 'rain'))
    message = _run_main(ACDC_TOOL, [root], monkeypatch)
    assert message.startswith(f"no folder {osp.join(root, 'gt/snow/train')!r} (condition "
                              "'snow', split 'train')"), message
    assert not [f for f in _listing(root) if f.endswith('_gt_labelTrainIds.png')]

    root = str(tmp_path / 'dark_zurich')
    message = _run_main(DZ_TOOL, [root], monkeypatch)
    assert message.startswith(f"no folder {osp.join(root, 'gt/val/night')!r}: expected Dark "
                              'Zurich extracted as'), message


def test_dark_zurich_converter(dark_zurich):
    for stem in DZ_VAL:
        path = osp.join(dark_zurich, 'gt/val/night/GOPR0356', f'{stem}_gt_labelTrainIds.png')
        assert np.array_equal(_read(path), _blocks(TRAIN_IDS))
    assert not [f for f in _listing(dark_zurich) if '.tmp-' in f]


# --- datasets ----------------------------------------------------------------------------
def test_acdc_dataset_lists_the_chosen_conditions(acdc):
    register_all_modules()
    val = ACDCDataset(data_root=acdc, split='val', conditions=('snow', 'fog'), pipeline=[])
    assert val.metainfo['classes'] == CITYSCAPES_CLASSES
    # in the order of `conditions`, each condition's images sorted
    assert _pairs(val, acdc) == [_acdc_pair('snow', 'val', '000257'),
                                 _acdc_pair('fog', 'val', '000257')]
    assert [val.get_data_info(i)['condition'] for i in range(2)] == ['snow', 'fog']
    # default: all four conditions, as the reference trains and validates
    train = ACDCDataset(data_root=acdc, split='train', pipeline=[])
    assert _pairs(train, acdc) == [_acdc_pair(c, 'train', f) for c in ACDC_SEQ
                                   for f in ACDC_FRAMES['train']]
    assert train.condition_counts() == dict(fog=2, night=2, rain=2, snow=2)
    # the unlabelled target stream and the test split list images only (no *_ref images)
    target = ACDCDataset(data_root=acdc, split='train', conditions='night', with_labels=False,
                         pipeline=[])
    assert _pairs(target, acdc) == [_acdc_pair('night', 'train', f, labels=False)
                                    for f in ACDC_FRAMES['train']]
    test = ACDCDataset(data_root=acdc, split='test', pipeline=[])
    assert len(test) == 8 and all(label is None for _, label in _pairs(test, acdc))
    # the reference's copied layout (README: rsync into rgb_anon/train, gt/train)
    for sub in ('rgb_anon', 'gt'):
        for condition in ACDC_SEQ:
            shutil.copytree(osp.join(acdc, sub, condition, 'train', ACDC_SEQ[condition]),
                            osp.join(acdc, sub, 'train'), dirs_exist_ok=True)
    copied = DATASETS.build(dict(
        type='ACDCDataset', data_root=acdc, split='train', conditions=None, pipeline=[],
        data_prefix=dict(img_path='rgb_anon/train', seg_map_path='gt/train')))
    assert len(copied) == 8
    assert [tuple(map(osp.basename, pair)) for pair in _pairs(copied, acdc)] == sorted(
        tuple(map(osp.basename, pair)) for pair in _pairs(train, acdc))


def test_acdc_dataset_loads_the_converted_labels(acdc):
    register_all_modules()
    val = ACDCDataset(data_root=acdc, split='val', conditions=['rain'], pipeline=[
        dict(type='mmseg.LoadImageFromFile'), dict(type='LoadSegAnnotations'),
        dict(type='mmseg.PackSegInputs')])
    sample = val[0]['data_samples']
    assert np.array_equal(sample.gt_sem_seg.data[0].numpy(), _blocks(TRAIN_IDS))


def test_dark_zurich_dataset_reads_the_reference_folders(dark_zurich):
    register_all_modules()
    # the target: night images of the train split only
    train = DarkZurichDataset(data_root=dark_zurich, split='train', pipeline=[])
    assert _pairs(train, dark_zurich) == [
        (f'rgb_anon/train/night/GOPR0594/{s}_rgb_anon.png', None) for s in DZ_TRAIN['night']]
    times = DarkZurichDataset(data_root=dark_zurich, split='train',
                              conditions=('day', 'twilight', 'night'), pipeline=[])
    assert len(times) == 4
    val = DarkZurichDataset(data_root=dark_zurich, split='val', pipeline=[])
    assert _pairs(val, dark_zurich) == [
        (f'rgb_anon/val/night/GOPR0356/{s}_rgb_anon.png',
         f'gt/val/night/GOPR0356/{s}_gt_labelTrainIds.png') for s in DZ_VAL]
    test = DarkZurichDataset(data_root=dark_zurich, split='test', pipeline=[])
    assert _pairs(test, dark_zurich) == [
        (f'rgb_anon/test/night/GOPR0364/{s}_rgb_anon.png', None) for s in DZ_TEST]


def test_datasets_name_the_missing_folder(tmp_path, acdc):
    register_all_modules()
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError, match=r"ACDCDataset \(data_root='.*nowhere'\): the "
                       r"data root '.*nowhere' does not exist\. Expected ACDC extracted as"):
        ACDCDataset(data_root=missing, pipeline=[])
    shutil.rmtree(osp.join(acdc, 'rgb_anon/snow/val'))
    with pytest.raises(FileNotFoundError) as error:
        ACDCDataset(data_root=acdc, split='val', pipeline=[])
    assert re.search(r"the image folder\(s\) '.*rgb_anon/snow/val' \(condition 'snow', split "
                     r"'val'\) do not exist\. Expected ACDC extracted as <data_root>/rgb_anon/"
                     r"<condition>/<split>/<sequence>/\*_rgb_anon\.png", str(error.value))
    assert 'rgb_anon/fog' not in str(error.value)  # only the missing one is named
    shutil.rmtree(osp.join(acdc, 'gt/rain/val'))
    with pytest.raises(FileNotFoundError, match=r"the label folder\(s\) '.*gt/rain/val' "
                       r"\(condition 'rain', split 'val'\) do not exist\. Expected the train-id "
                       r"labels ending in '_gt_labelTrainIds\.png' there \(written by python "
                       r"tools/dataset_converters/acdc\.py <data_root>\)"):
        ACDCDataset(data_root=acdc, split='val', conditions=('fog', 'rain'), pipeline=[])
    # the released labels, not converted
    for path in _listing(osp.join(acdc, 'gt/night/val')):
        if path.endswith('_gt_labelTrainIds.png'):
            os.remove(osp.join(acdc, 'gt/night/val', path))
    with pytest.raises(FileNotFoundError, match=r"the label folder '.*gt/night/val' \(condition "
                       r"'night', split 'val'\) holds no labels ending in "
                       r"'_gt_labelTrainIds\.png'\. Convert the released labels first: python "
                       r"tools/dataset_converters/acdc\.py"):
        ACDCDataset(data_root=acdc, split='val', conditions=('night', ), pipeline=[])
    # images only: no label folder needed
    assert len(ACDCDataset(data_root=acdc, split='val', conditions=('night', 'rain'),
                           with_labels=False, pipeline=[])) == 2

    root = str(tmp_path / 'dark_zurich')
    make_fake_dark_zurich(root)  # not converted
    with pytest.raises(FileNotFoundError, match=r"DarkZurichDataset .*holds no labels ending in "
                       r"'_gt_labelTrainIds\.png'\. Convert the released labels first: python "
                       r"tools/dataset_converters/dark_zurich\.py"):
        DarkZurichDataset(data_root=root, split='val', pipeline=[])
    with pytest.raises(FileNotFoundError, match=r"the image folder\(s\) '.*rgb_anon/val/day' "
                       r"\(condition 'day', split 'val'\) do not exist"):
        DarkZurichDataset(data_root=root, split='val', conditions=('day', ), pipeline=[])


@pytest.mark.parametrize('kwargs, message', [
    (dict(split='test', with_labels=True),
     r"the 'test' split of ACDC has no labels; labelled splits: \('train', 'val'\)"),
    (dict(split='validation'), r"split 'validation' is not one of \('train', 'val', 'test'\)"),
    (dict(conditions=('fog', 'haze')), r"conditions \('fog', 'haze'\) must be distinct names of"),
])
def test_acdc_dataset_arguments(acdc, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ACDCDataset(data_root=acdc, pipeline=[], **kwargs)


# --- test-server submission ----------------------------------------------------------------
def _prediction(img_path, pred, logits=None):
    sample = SegDataSample(metainfo=dict(img_path=img_path, ori_shape=pred.shape))
    sample.pred_sem_seg = PixelData(data=torch.from_numpy(pred)[None].long())
    if logits is not None:
        sample.seg_logits = PixelData(data=torch.from_numpy(logits))
    return sample.to_dict()


def _metric(**kwargs):
    metric = ServerSubmissionMetric(**kwargs)
    metric.dataset_meta = dict(classes=CITYSCAPES_CLASSES)
    return metric


PRED_A = _blocks(np.array([[0, 13, 10, 18], [11, 2, 8, 1]], np.uint8))
PRED_B = np.full((H, W), 5, np.uint8)


def test_acdc_submission_files(tmp_path):
    out = str(tmp_path / 'submission')
    metric = _metric(benchmark='acdc', output_dir=out)
    metric.process({}, [
        _prediction('data/acdc/rgb_anon/fog/test/GOPR0475/GOPR0475_frame_000301_rgb_anon.png',
                    PRED_A),
        _prediction('data/acdc/rgb_anon/snow/test/GOPR0122/GOPR0122_frame_000302_rgb_anon.png',
                    PRED_B)])
    assert metric.evaluate(2) == {}
    names = ['labelTrainIds/GOPR0122_frame_000302_rgb_anon.png',
             'labelTrainIds/GOPR0475_frame_000301_rgb_anon.png']
    with zipfile.ZipFile(osp.join(out, 'acdc_submission.zip')) as archive:
        assert sorted(archive.namelist()) == names
    entries = read_submission(osp.join(out, 'acdc_submission.zip'))
    # train ids (not label ids), 8-bit, at the image size
    assert entries[names[1]].dtype == np.uint8 and np.array_equal(entries[names[1]], PRED_A)
    assert np.array_equal(entries[names[0]], PRED_B)
    # the same files unzipped; no temporary file left
    assert _listing(out) == ['acdc_submission.zip'] + [f'acdc_submission/{n}' for n in names]
    assert Image.open(osp.join(out, 'acdc_submission', names[1])).mode == 'L'
    # a second export replaces the first
    metric = _metric(benchmark='acdc', output_dir=out)
    metric.process({}, [_prediction('x/GOPR0400_frame_000001_rgb_anon.png', PRED_B)])
    metric.evaluate(1)
    assert _listing(out) == ['acdc_submission.zip',
                             'acdc_submission/labelTrainIds/GOPR0400_frame_000001_rgb_anon.png']
    # a flat zip
    metric = _metric(benchmark='acdc', output_dir=out, name='flat', pred_folder='')
    metric.process({}, [_prediction('x/GOPR0400_frame_000001_rgb_anon.png', PRED_B)])
    metric.evaluate(1)
    assert list(read_submission(osp.join(out, 'flat.zip'))) == [
        'GOPR0400_frame_000001_rgb_anon.png']


def test_dark_zurich_submission_files(tmp_path):
    out = str(tmp_path / 'submission')
    metric = METRICS.build(dict(type='ServerSubmissionMetric', benchmark='dark_zurich',
                                output_dir=out, name='dz'))
    metric.dataset_meta = dict(classes=CITYSCAPES_CLASSES)
    logits = np.zeros((19, H, W), np.float32)
    logits[3] = np.log(3.0)  # softmax max = 3 / (3 + 18) = 1 / 7 everywhere
    metric.process({}, [
        _prediction(f'd/rgb_anon/test/night/GOPR0364/{DZ_TEST[0]}_rgb_anon.png', PRED_A),
        _prediction(f'd/rgb_anon/test/night/GOPR0364/{DZ_TEST[1]}_rgb_anon.png', PRED_B,
                    logits)])
    metric.evaluate(2)
    entries = read_submission(osp.join(out, 'dz.zip'))
    files = [f'{DZ_TEST[0]}_rgb_anon.png', f'{DZ_TEST[1]}_rgb_anon.png']
    assert sorted(entries) == sorted(f'{folder}/{f}' for f in files for folder in (
        'labelTrainIds', 'labelTrainIds_invalid', 'confidence'))
    for f, pred in zip(files, (PRED_A, PRED_B)):
        assert np.array_equal(entries[f'labelTrainIds/{f}'], pred)
        # no pixel marked invalid (255): the IoU is scored as it is
        assert np.array_equal(entries[f'labelTrainIds_invalid/{f}'], pred)
        # the server's name pattern <sequence>_frame_<frame:06d>*.png
        assert re.fullmatch(r'GOPR\d{4}_frame_\d{6}.*\.png', f)
    # 16-bit confidence: 65535 without logits, the softmax maximum with them
    conf = entries[f'confidence/{files[0]}']
    assert conf.dtype == np.uint16 and conf.shape == (H, W) and (conf == 65535).all()
    assert (entries[f'confidence/{files[1]}'] == round(65535 / 7)).all()
    assert _listing(out) == sorted(['dz.zip'] + [f'dz/{n}' for n in entries])


def test_submission_is_all_or_nothing(tmp_path, monkeypatch):
    out = str(tmp_path / 'submission')
    metric = _metric(benchmark='acdc', output_dir=out)
    metric.process({}, [_prediction('a/GOPR0475_frame_000301_rgb_anon.png', PRED_A)])

    def broken(*args, **kwargs):
        raise OSError('disk full')

    monkeypatch.setattr(zipfile.ZipFile, 'writestr', broken)
    with pytest.raises(OSError, match='disk full'):
        metric.evaluate(1)
    assert _listing(out) == []  # no zip, no folder, no temporary file
    monkeypatch.undo()

    # two images of the same name would overwrite each other
    metric = _metric(benchmark='acdc', output_dir=out)
    metric.process({}, [_prediction('fog/GOPR0475_frame_000301_rgb_anon.png', PRED_A),
                        _prediction('rain/GOPR0475_frame_000301_rgb_anon.png', PRED_B)])
    with pytest.raises(ValueError, match=r"two test images give the same submission file "
                       r"'labelTrainIds/GOPR0475_frame_000301_rgb_anon\.png': 'fog/.*' and "
                       r"'rain/.*'"):
        metric.evaluate(2)
    assert _listing(out) == []


def test_submission_checks_predictions(tmp_path):
    metric = _metric(benchmark='acdc', output_dir=str(tmp_path))
    sample = _prediction('a/GOPR0475_frame_000301_rgb_anon.png', PRED_A)
    sample['ori_shape'] = (1080, 1920)
    with pytest.raises(ValueError, match=r"is 64 x 32; the server expects the image size "
                       r"1920 x 1080"):
        metric.process({}, [sample])
    with pytest.raises(ValueError, match=r"benchmark 'cityscapes' is not one of"):
        ServerSubmissionMetric(benchmark='cityscapes', output_dir=str(tmp_path))


def test_submission_on_a_labelled_split_also_scores(tmp_path):
    metric = _metric(benchmark='acdc', output_dir=str(tmp_path), format_only=False)
    sample = SegDataSample(metainfo=dict(img_path='a/x_rgb_anon.png', ori_shape=(H, W)))
    sample.pred_sem_seg = PixelData(data=torch.from_numpy(PRED_A)[None].long())
    sample.gt_sem_seg = PixelData(data=torch.from_numpy(_blocks(TRAIN_IDS))[None].long())
    metric.process({}, [sample.to_dict()])
    metrics = metric.evaluate(1)
    # 5 of the 6 labelled blocks right (bicycle predicted as sidewalk)
    assert metrics['aAcc'] == pytest.approx(100 * 5 / 6, abs=0.01)
    assert metrics['mIoU'] == pytest.approx(100 * 5 / 7, abs=0.01)  # + sidewalk's IoU 0
    assert osp.isfile(osp.join(str(tmp_path), 'acdc_submission.zip'))


# --- data base configs ---------------------------------------------------------------------
def make_fake_cityscapes(root, monkeypatch):
    for i, city in enumerate(('aachen', 'bochum')):
        stem = f'{city}_000000_0000{i}9'
        _rgb(osp.join(root, 'leftImg8bit/train', city, f'{stem}_leftImg8bit.png'), i, 64, 128)
        _grey(osp.join(root, 'gtFine/train', city, f'{stem}_gtFine_labelIds.png'),
              _blocks(LABEL_IDS, 64, 128))
    assert _run_main(CITYSCAPES_TOOL, [root, '--nproc', '1'], monkeypatch) is None


@pytest.mark.parametrize('config, crop, source_scale, target_scale, min_crop_ratio', [
    (ACDC_512, (512, 512), (1024, 512), (960, 540), 0.5),
    (ACDC_HR, (1024, 1024), (2048, 1024), (1920, 1080), 2.0),
    (DZ_512, (512, 512), (1024, 512), (960, 540), 0.5),
    (DZ_HR, (1024, 1024), (2048, 1024), (1920, 1080), 2.0),
])
def test_config_settings(config, crop, source_scale, target_scale, min_crop_ratio):
    cfg = Config.fromfile(config)
    assert not check_top_level_keys(cfg)  # no helper variable looks like a misspelt key
    data = cfg.train_dataloader.dataset
    assert data.source.type == 'CityscapesDataset'
    assert data.rare_class_sampling == dict(class_temp=0.01, min_pixels=3000,
                                            min_crop_ratio=min_crop_ratio)

    def step(pipeline, kind):
        return next(t for t in pipeline if t.type == kind)

    assert step(data.source.pipeline, 'mmseg.Resize').scale == source_scale
    assert step(data.source.pipeline, 'mmseg.RandomCrop') == dict(
        type='mmseg.RandomCrop', crop_size=crop, cat_max_ratio=0.75)
    assert step(data.target.pipeline, 'mmseg.Resize').scale == target_scale
    assert step(data.target.pipeline, 'mmseg.RandomCrop').crop_size == crop
    assert not any(t.type == 'LoadSegAnnotations' for t in data.target.pipeline)
    assert step(cfg.test_pipeline, 'mmseg.Resize').scale == target_scale
    assert cfg.test_dataloader.dataset.split == 'val'
    name = 'acdc' if 'acdc' in config else 'darkzurich'
    server = cfg[f'{name}_test_server_dataloader']
    assert server.dataset.split == 'test'
    assert not any(t.type == 'LoadSegAnnotations' for t in server.dataset.pipeline)
    assert cfg[f'{name}_test_server_evaluator'].benchmark == \
        {'acdc': 'acdc', 'darkzurich': 'dark_zurich'}[name]
    if name == 'acdc':
        assert tuple(data.target.conditions) == ('fog', 'night', 'rain', 'snow')
    else:
        assert tuple(data.target.conditions) == ('night', ) and data.target.split == 'train'


@pytest.mark.parametrize('config', [ACDC_512, ACDC_HR])
def test_acdc_configs_build_their_datasets(config, acdc, tmp_path, monkeypatch):
    register_all_modules()
    cityscapes = str(tmp_path / 'cityscapes')
    make_fake_cityscapes(cityscapes, monkeypatch)
    cfg = Config.fromfile(config)
    data = cfg.train_dataloader.dataset
    data.source.data_root, data.target.data_root = cityscapes, acdc
    data.rare_class_sampling.min_pixels = 100  # the fakes are small
    train = DATASETS.build(data)
    assert train.rcs is not None and len(train.target) == 8
    item = train[0]
    assert set(item['inputs']) == {'source', 'target'}
    val = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=acdc))
    assert len(val) == 4
    # the whole image resized to fit the test scale, the label at full resolution
    scale = cfg.acdc_scale
    factor = min(scale[0] / W, scale[1] / H)
    sample = val[0]
    assert sample['inputs'].shape == (3, round(H * factor), round(W * factor))
    assert np.array_equal(sample['data_samples'].gt_sem_seg.data[0].numpy(),
                          _blocks(TRAIN_IDS))
    test = DATASETS.build(dict(cfg.acdc_test_server_dataloader.dataset, data_root=acdc))
    assert len(test) == 8 and 'gt_sem_seg' not in test[0]['data_samples']


@pytest.mark.parametrize('config', [DZ_512, DZ_HR])
def test_dark_zurich_configs_build_their_datasets(config, dark_zurich):
    register_all_modules()
    cfg = Config.fromfile(config)
    target = DATASETS.build(dict(cfg.train_dataloader.dataset.target, data_root=dark_zurich))
    assert len(target) == 2
    # resized to fit the target scale (ratio kept), then cropped
    scale = cfg.dark_zurich_scale
    factor = min(scale[0] / W, scale[1] / H)
    assert tuple(target[0]['inputs'].shape[1:]) == (min(cfg.crop_size[0], round(H * factor)),
                                                    min(cfg.crop_size[1], round(W * factor)))
    val = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=dark_zurich))
    assert [osp.basename(val.get_data_info(i)['seg_map_path']) for i in range(2)] == \
        [f'{s}_gt_labelTrainIds.png' for s in DZ_VAL]
    assert val[1]['data_samples'].gt_sem_seg.data.shape == (1, H, W)
    test = DATASETS.build(dict(cfg.darkzurich_test_server_dataloader.dataset,
                               data_root=dark_zurich))
    assert len(test) == 2


def test_a_config_selects_the_test_server(tmp_path, dark_zurich):
    """The documented child config: the method config's val split replaced by the test split
    and the submission writer; its predictions (here made up at each image's size) become the
    submission."""
    register_all_modules()
    child = tmp_path / 'submit.py'
    child.write_text(
        f'_base_ = [{DZ_HR!r}]\n'
        'test_dataloader = dict(_base_.darkzurich_test_server_dataloader, _delete_=True)\n'
        'test_evaluator = dict(_base_.darkzurich_test_server_evaluator, _delete_=True)\n')
    out = str(tmp_path / 'out')
    cfg = Config.fromfile(str(child))
    cfg.merge_from_dict({'test_dataloader.dataset.data_root': dark_zurich,
                         'test_evaluator.output_dir': out})  # as --cfg-options would
    assert cfg.val_dataloader.dataset.split == 'val'  # training still validates on val
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    metric = METRICS.build(cfg.test_evaluator)
    metric.dataset_meta = dataset.metainfo
    samples = []
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        sample.pred_sem_seg = PixelData(data=torch.full((1, *sample.ori_shape), i).long())
        samples.append(sample.to_dict())
    metric.process({}, samples)
    metric.evaluate(len(samples))
    entries = read_submission(osp.join(out, 'dark_zurich_submission.zip'))
    assert sorted(n for n in entries if n.startswith('labelTrainIds/')) == [
        f'labelTrainIds/{s}_rgb_anon.png' for s in DZ_TEST]
    assert entries[f'labelTrainIds/{DZ_TEST[1]}_rgb_anon.png'].shape == (H, W)
    assert (entries[f'labelTrainIds/{DZ_TEST[1]}_rgb_anon.png'] == 1).all()
