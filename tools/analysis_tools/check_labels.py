# Copyright (c) mmuda contributors. All rights reserved.
"""Check every label of the datasets a config uses, before a long run trips over one.

    python tools/analysis_tools/check_labels.py CONFIG [--splits train val test]
        [--target-train-labels] [--workers N] [--cfg-options ...]

Segmentation: every label map is read as the training pipeline reads it and must hold only
train ids in [0, num_classes) or the ignore index (255). Detection: every annotation must name
a listed category and hold a finite box of positive size that overlaps its image (COCO files
are read raw, before mmdet's parser silently drops unknown categories). A ``UDADataset`` is
checked per stream: each source, and the target; the target's train labels are never loaded
by UDA training, so they are checked only with ``--target-train-labels``. A dataset listed
twice (the usual val = test) is checked once.

Every bad file is reported with its bad ids and what was expected; the exit status is 1 if any
was found (or a dataset could not be read), 0 otherwise.
"""
import argparse
import json
import os
import os.path as osp
import time

from mmengine.config import DictAction

from mmuda.datasets import CheckedSegDataset, UDADataset
from mmuda.datasets.label_check import check_det_dataset, check_seg_dataset, expected_label_ids
from mmuda.registry import DATASETS
from mmuda.utils import register_all_modules
from mmuda.utils.config_check import load_config

SPLITS = ('train', 'val', 'test')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--splits', nargs='+', choices=SPLITS, default=list(SPLITS),
                        help='the data loaders whose datasets are checked')
    parser.add_argument('--target-train-labels', action='store_true',
                        help="also check the labels of a UDADataset's target (not used by UDA "
                        'training)')
    parser.add_argument('--workers', type=int, default=min(8, os.cpu_count() or 1),
                        help='processes reading label maps')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser.parse_args()


def _class_of(dataset_cfg):
    kind = dataset_cfg.get('type')
    return DATASETS.get(kind) if isinstance(kind, str) else kind


def dataset_cfgs(dataset_cfg, name: str, target_labels: bool):
    """(name, dataset config) of every dataset holding files under ``dataset_cfg``, and the
    names of the streams left out (a UDA target's train labels)."""
    cls = _class_of(dataset_cfg)
    if cls is not None and issubclass(cls, UDADataset):
        sources = dataset_cfg['source']
        sources = list(sources) if isinstance(sources, (list, tuple)) else [sources]
        found, skipped = [], []
        for k, source in enumerate(sources):
            sub = f'{name}.source' + (f'[{k}]' if len(sources) > 1 else '')
            more, left = dataset_cfgs(source, sub, target_labels)
            found, skipped = found + more, skipped + left
        if dataset_cfg.get('target') is None:  # domain generalisation: no target stream
            pass
        elif target_labels:
            more, left = dataset_cfgs(dataset_cfg['target'], f'{name}.target', target_labels)
            found, skipped = found + more, skipped + left
        else:
            skipped.append(f'{name}.target')
        return found, skipped
    if 'datasets' in dataset_cfg:  # mmengine's ConcatDataset
        found, skipped = [], []
        for k, sub in enumerate(dataset_cfg['datasets']):
            more, left = dataset_cfgs(sub, f'{name}[{k}]', target_labels)
            found, skipped = found + more, skipped + left
        return found, skipped
    if 'dataset' in dataset_cfg:  # RepeatDataset, ClassBalancedDataset
        return dataset_cfgs(dataset_cfg['dataset'], name, target_labels)
    return [(name, dataset_cfg)], []


def _files_key(dataset_cfg) -> str:
    """Two configs with the same key read the same label files."""
    files = {k: v for k, v in dataset_cfg.items()
             if k not in ('pipeline', 'test_mode', 'filter_cfg', 'lazy_init', 'serialize_data')}
    return json.dumps(files, sort_keys=True, default=str)


def check_dataset(dataset_cfg, workers: int):
    """Build one dataset and check its labels; returns (description, problems)."""
    cfg = dict(dataset_cfg, lazy_init=True)
    cls = _class_of(cfg)
    if cls is not None and issubclass(cls, CheckedSegDataset):
        cfg['check_labels'] = False  # reported here, in full, instead of raised
    dataset = DATASETS.build(cfg)
    from mmdet.datasets import BaseDetDataset
    if isinstance(dataset, BaseDetDataset):
        where = dataset.ann_file or dataset.data_root
        return f'{type(dataset).__name__} ({osp.abspath(where)})', check_det_dataset(dataset)
    problems = check_seg_dataset(dataset, workers)
    classes = len(dataset.metainfo['classes'])
    return (f'{type(dataset).__name__} ({osp.abspath(dataset.data_root)}): {len(dataset)} '
            f'label map(s), {expected_label_ids(classes, dataset.ignore_index)}'), problems


def main():
    args = parse_args()
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    todo, skipped = [], []
    for split in args.splits:
        loader = cfg.get(f'{split}_dataloader')
        if not loader or not loader.get('dataset'):
            print(f'{split}: the config has no {split}_dataloader.dataset')
            continue
        found, left = dataset_cfgs(loader['dataset'], split, args.target_train_labels)
        todo += found
        skipped += left
    if not todo:
        raise SystemExit(f'{args.config}: no dataset to check in the splits {args.splits}')

    bad_files = bad_datasets = unreadable = 0
    checked = {}
    for name, dataset_cfg in todo:
        key = _files_key(dataset_cfg)
        if key in checked:
            print(f'{name}: the same files as {checked[key]} (checked once)')
            continue
        checked[key] = name
        start = time.time()
        try:
            description, problems = check_dataset(dataset_cfg, args.workers)
        except Exception as error:  # a missing folder, an unreadable annotation file, ...
            print(f'{name}: cannot be read: {type(error).__name__}: {error}')
            unreadable += 1
            continue
        status = f'{len(problems)} problem(s)' if problems else 'OK'
        print(f'{name}: {description}: {status} ({time.time() - start:.1f} s)')
        for problem in problems:
            print(f'  {problem}')
        bad_files += len(problems)
        bad_datasets += bool(problems)
    for name in skipped:
        print(f'{name}: not checked (UDA training loads no target labels; '
              f'--target-train-labels checks them)')
    if bad_datasets or unreadable:
        raise SystemExit(
            f'{args.config}: {bad_files} bad label file(s) / annotation(s) in {bad_datasets} '
            f'dataset(s)' + (f', {unreadable} dataset(s) could not be read' if unreadable
                             else '') + '; see above')
    print('All labels are valid.')


if __name__ == '__main__':
    main()
