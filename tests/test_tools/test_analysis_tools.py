# Copyright (c) mmuda contributors. All rights reserved.
"""The analysis tools of tools/analysis_tools/: log curves, dataset browsing, the resolved
config and the segmentation confusion matrix."""
import glob
import importlib.util
import json
import os
import os.path as osp
import re
import sys

import cv2
import numpy as np
import pytest

from ..helpers import ROOT, SOURCE_ONLY_CFG, run_tool

TOOLS = osp.join(ROOT, 'tools', 'analysis_tools')
DACS_CFG = osp.join(ROOT, 'configs/daformer/dacs_segformer-mitb0_1k_synthetic-src2tgt.py')
DET_CFG = osp.join(ROOT,
                   'configs/da_faster/da-faster_faster-rcnn-r18-c4_300_synthetic-clear2fog.py')


def _tool(name, *args):
    return run_tool([sys.executable, osp.join(TOOLS, name), *args])


def _import_tool(name):
    spec = importlib.util.spec_from_file_location(name, osp.join(TOOLS, name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------------------
# analyze_logs.py
# ------------------------------------------------------------------------------------------
def _write_scalars(work_dir, timestamp, rows):
    folder = osp.join(work_dir, timestamp, 'vis_data')
    os.makedirs(folder)
    with open(osp.join(folder, 'scalars.json'), 'w') as f:
        f.writelines(json.dumps(row) + '\n' for row in rows)


def _train_row(step, loss, time):
    # the keys mmengine's LoggerHook writes for a DACS step
    return {'base_lr': 1e-3, 'lr': 1e-3, 'data_time': 0.1, 'src.decode.loss_ce': loss * 0.7,
            'mix.decode.loss_ce': loss * 0.3, 'loss': loss, 'time': time, 'iter': step,
            'step': step}


def test_analyze_logs_plot_and_time(tmp_path):
    work_dir = str(tmp_path / 'dacs_run')
    rows = [_train_row(1, 2.0, 3.0), _train_row(2, 1.5, 0.5), _train_row(3, 1.0, 0.7),
            {'aAcc': 80.0, 'mIoU': 40.0, 'mAcc': 50.0, 'data_time': 0.01, 'time': 0.2,
             'step': 3}]
    _write_scalars(work_dir, '20240101_000000', rows)
    out = str(tmp_path / 'curves.png')
    proc = _tool('analyze_logs.py', 'plot_curve', work_dir, '--keys', 'loss',
                 'mix.decode.loss_ce', 'mIoU', '--out', out, '--title', 'DACS')
    assert proc.returncode == 0, proc.stderr
    image = cv2.imread(out)
    assert image is not None and image.shape[0] > image.shape[1]  # 3 panels, one above another
    assert image.std() > 5
    # the scalars.json path itself works too, and a per-run legend
    out2 = str(tmp_path / 'one.png')
    scalars = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))[0]
    proc = _tool('analyze_logs.py', 'plot_curve', scalars, work_dir, '--legend', 'a', 'b',
                 '--out', out2)
    assert proc.returncode == 0 and osp.isfile(out2), proc.stderr

    # iteration times: the first window (3.0 s, start-up) is left out: (0.5 + 0.7) / 2
    proc = _tool('analyze_logs.py', 'cal_train_time', work_dir)
    assert proc.returncode == 0, proc.stderr
    assert 'average iter time: 0.6000 s/iter' in proc.stdout
    assert 'slowest logged window: step 3, 0.7000' in proc.stdout
    proc = _tool('analyze_logs.py', 'cal_train_time', work_dir, '--include-outliers')
    assert 'average iter time: 1.4000 s/iter' in proc.stdout


def test_analyze_logs_errors(tmp_path):
    work_dir = str(tmp_path / 'run')
    _write_scalars(work_dir, '20240101_000000', [_train_row(1, 2.0, 1.0),
                                                 {'mIoU': 40.0, 'step': 1}])
    out = str(tmp_path / 'curves.png')
    proc = _tool('analyze_logs.py', 'plot_curve', work_dir, '--keys', 'loss', 'bbox_mAP',
                 '--out', out)
    assert proc.returncode == 1
    assert "no run logs the key(s) ['bbox_mAP']" in proc.stderr
    for key in ('loss', 'mIoU', 'src.decode.loss_ce', 'mix.decode.loss_ce', 'lr'):
        assert key in proc.stderr.split('the logged keys are:')[1]
    assert not osp.exists(out)
    proc = _tool('analyze_logs.py', 'plot_curve', str(tmp_path / 'nowhere'), '--out', out)
    assert proc.returncode == 1 and 'nowhere' in proc.stderr and 'does not exist' in proc.stderr
    proc = _tool('analyze_logs.py', 'plot_curve', str(tmp_path), '--out', out)
    assert proc.returncode == 1 and 'found no <timestamp>/vis_data/scalars.json' in proc.stderr


def test_analyze_logs_series():
    series = _import_tool('analyze_logs').series
    rows = [_train_row(1, 2.0, 1.0), _train_row(2, 1.5, 1.0),
            {'mIoU': 40.0, 'time': 9.0, 'step': 2},
            # a run resumed from iteration 1 logs iteration 2 again: the later value counts
            _train_row(2, 1.2, 0.8), {'mIoU': 45.0, 'time': 9.0, 'step': 2}]
    steps, values, val = series(rows, 'loss')
    assert steps.tolist() == [1, 2] and values.tolist() == [2.0, 1.2] and not val
    # 'time' is in train and validation rows: the curve is the train one
    steps, values, val = series(rows, 'time')
    assert values.tolist() == [1.0, 0.8] and not val
    steps, values, val = series(rows, 'mIoU')
    assert steps.tolist() == [2] and values.tolist() == [45.0] and val


# ------------------------------------------------------------------------------------------
# browse_dataset.py
# ------------------------------------------------------------------------------------------
def _domain_options(keys, data_root):
    opts = []
    for key in keys:
        opts += [f'{key}.data_root={data_root}', f'{key}.num_images.train=16',
                 f'{key}.num_images.val=4', f'{key}.img_size=(64,128)']
    return opts


BROWSE = {
    # UDA segmentation: the source with its label overlay, the target without labels
    'uda_seg': (DACS_CFG, ['train_dataloader.dataset.source', 'train_dataloader.dataset.target'],
                ['train_dataloader.dataset.rare_class_sampling.min_pixels=20'], True),
    # UDA detection: boxes on the source, the (box-free) foggy target
    'uda_det': (DET_CFG, ['train_dataloader.dataset.source', 'train_dataloader.dataset.target'],
                [], True),
    # a plain (source-only) dataset
    'plain_seg': (SOURCE_ONLY_CFG, ['train_dataloader.dataset'], [], False),
}


@pytest.mark.parametrize('case', list(BROWSE))
def test_browse_dataset(case, tmp_path, tiny_data_root):
    config, keys, extra, uda = BROWSE[case]
    out = str(tmp_path / 'browse')
    proc = _tool('browse_dataset.py', config, '--not-show', '--output-dir', out, '-n', '3',
                 '--cfg-options', *_domain_options(keys, tiny_data_root), *extra)
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = sorted(os.listdir(out))
    streams = ['source', 'target'] if uda else ['']
    assert len(files) == 3 * len(streams), files
    for index in range(3):
        for stream in streams:
            prefix = f'{index:04d}_{stream}_' if stream else f'{index:04d}_'
            assert sum(f.startswith(prefix) for f in files) == 1, (prefix, files)
    for name in files:
        image = cv2.imread(osp.join(out, name))
        # the pipelines' resize (and crop, at most 128 x 256) of the 64 x 128 images
        assert image.shape[2] == 3 and 96 <= image.shape[0] <= 128, (name, image.shape)
        assert abs(image.shape[1] - 2 * image.shape[0]) <= 2, (name, image.shape)
        assert image.std() > 10, name  # not blank
    if case == 'uda_seg':
        # the source is drawn with the palette overlay (alpha 0.8): the road's colour
        # (128, 64, 128) dominates the road pixels; the label-free target is the plain image
        road = np.array([128, 64, 128])[::-1]  # BGR
        share = {name: (np.abs(cv2.imread(osp.join(out, name)).astype(int) - road).max(-1)
                        < 20).mean() for name in files}
        assert np.mean([v for k, v in share.items() if '_source_' in k]) > 0.05, share
        assert max(v for k, v in share.items() if '_target_' in k) < 0.01, share


def test_browse_dataset_needs_an_output(tmp_path):
    proc = _tool('browse_dataset.py', SOURCE_ONLY_CFG, '--not-show')
    assert proc.returncode == 1 and 'give --output-dir' in proc.stderr


# ------------------------------------------------------------------------------------------
# print_config.py
# ------------------------------------------------------------------------------------------
def test_print_config_applies_cfg_options():
    proc = _tool('print_config.py', DACS_CFG, '--cfg-options', 'train_cfg.max_iters=123',
                 'model.train_cfg.pseudo_threshold=0.5')
    assert proc.returncode == 0, proc.stderr
    # resolved: the base config's keys are there, with the overrides
    assert re.search(r"train_cfg = dict\([^\n]*max_iters=123", proc.stdout), proc.stdout[-2000:]
    assert 'pseudo_threshold=0.5' in proc.stdout
    assert "type='DACS'" in proc.stdout and "type='SyntheticSegDataset'" in proc.stdout


# ------------------------------------------------------------------------------------------
# confusion_matrix.py
# ------------------------------------------------------------------------------------------
CLASSES = ('a', 'b', 'c')
# two 2 x 3 images: ground truth (255 = ignore) and prediction
LABELS = dict(x=[[0, 0, 1], [2, 255, 1]], y=[[2, 2, 2], [0, 1, 255]])
PREDS = dict(x=[[0, 1, 1], [2, 2, 0]], y=[[2, 0, 2], [0, 1, 1]])
# rows: ground truth, columns: prediction, ignored pixels left out (counted by hand)
EXPECTED = [[2, 1, 0],   # a: x (0,0) (0,1), y (0,0)
            [1, 2, 0],   # b: x (1,1) (1,0), y (1,1)
            [1, 0, 3]]   # c: x (2,2), y (2,2) (2,0) (2,2)


def _confusion_setup(tmp_path):
    data = tmp_path / 'data'
    for sub in ('img', 'ann', 'pred'):
        os.makedirs(data / sub)
    for name in LABELS:
        cv2.imwrite(str(data / 'img' / f'{name}.png'), np.full((2, 3, 3), 100, np.uint8))
        cv2.imwrite(str(data / 'ann' / f'{name}.png'), np.array(LABELS[name], np.uint8))
        cv2.imwrite(str(data / 'pred' / f'{name}.png'), np.array(PREDS[name], np.uint8))
    config = tmp_path / 'cfg.py'
    config.write_text(
        "default_scope = 'mmuda'\n"
        "test_dataloader = dict(dataset=dict(\n"
        f"    type='CheckedSegDataset', data_root={str(data)!r},\n"
        "    data_prefix=dict(img_path='img', seg_map_path='ann'), img_suffix='.png',\n"
        f"    seg_map_suffix='.png', metainfo=dict(classes={CLASSES!r},\n"
        "    palette=[[0, 0, 0], [1, 1, 1], [2, 2, 2]]),\n"
        "    pipeline=[dict(type='mmseg.LoadImageFromFile'), dict(type='LoadSegAnnotations'),\n"
        "              dict(type='mmseg.PackSegInputs')]))\n")
    return str(config), str(data / 'pred')


def test_confusion_matrix(tmp_path):
    config, pred = _confusion_setup(tmp_path)
    out = str(tmp_path / 'out')
    proc = _tool('confusion_matrix.py', config, pred, out, '--save-matrix')
    assert proc.returncode == 0, proc.stderr[-3000:]
    saved = json.load(open(osp.join(out, 'confusion_matrix.json')))
    assert saved['matrix'] == EXPECTED and saved['classes'] == list(CLASSES)
    assert cv2.imread(osp.join(out, 'confusion_matrix.png')) is not None
    # IoU from the matrix: a 2 / (3 + 4 - 2) = 40, b 2 / (3 + 3 - 2) = 50, c 3 / (4 + 3 - 3) = 75
    assert re.search(r'a: +40\.00', proc.stdout) and re.search(r'b: +50\.00', proc.stdout)
    assert re.search(r'c: +75\.00', proc.stdout) and re.search(r'mIoU: +55\.00', proc.stdout)
    assert re.search(r'aAcc: +70\.00', proc.stdout)  # 7 of the 10 labelled pixels


def test_confusion_matrix_missing_prediction(tmp_path):
    config, pred = _confusion_setup(tmp_path)
    os.remove(osp.join(pred, 'y.png'))
    out = str(tmp_path / 'out')
    proc = _tool('confusion_matrix.py', config, pred, out)
    assert proc.returncode == 1
    assert '1 of the 2 prediction(s) are missing' in proc.stderr
    assert osp.join(pred, 'y.png') in proc.stderr and '--out' in proc.stderr
    assert not osp.exists(out)  # nothing written


# ------------------------------------------------------------------------------------------
# the synthetic data's location is printed when it is generated
# ------------------------------------------------------------------------------------------
def test_generation_prints_the_folder(tmp_path, monkeypatch):
    from mmuda.datasets.synthetic import writer
    logged = []
    monkeypatch.setattr(writer, 'print_log', lambda msg, logger=None: logged.append(msg))
    monkeypatch.chdir(tmp_path)  # a relative data root: the absolute folder is printed
    params = writer.domain_params('source', {}, dict(train=1, val=1), (16, 32), 0)
    folder = writer.generate_domain('rel_root', params)
    assert len(logged) == 1 and osp.abspath(folder) in logged[0], logged
    assert "'source'" in logged[0] and '2 images' in logged[0]
    writer.generate_domain('rel_root', params)  # already there: nothing printed
    assert len(logged) == 1
