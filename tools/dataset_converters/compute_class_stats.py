# Copyright (c) mmuda contributors. All rights reserved.
"""Read a segmentation dataset's label files once and cache per-image class pixel counts
beside the data (``<data_root>/class_stats.json``), for Rare Class Sampling.

    python tools/dataset_converters/compute_class_stats.py CONFIG \
        [--dataset train_dataloader.dataset.source] [--nproc 8]

``--dataset`` is the dotted path of the dataset config inside CONFIG (default: the source of
a UDADataset train set, else the train set itself).
"""
import argparse
import os.path as osp
from multiprocessing import Pool

from mmengine.config import Config

from mmuda.datasets.class_stats import count_classes, write_class_stats
from mmuda.registry import DATASETS
from mmuda.utils import register_all_modules


def _lookup(cfg, dotted: str):
    node = cfg
    for key in dotted.split('.'):
        if key not in node:
            raise SystemExit(f'{dotted!r} is not in the config (no key {key!r})')
        node = node[key]
    return node


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--dataset', default=None, help='dotted path of the dataset config')
    parser.add_argument('--nproc', type=int, default=1)
    args = parser.parse_args()

    register_all_modules()
    cfg = Config.fromfile(args.config)
    dotted = args.dataset
    if dotted is None:
        train = cfg.train_dataloader.dataset
        dotted = 'train_dataloader.dataset' + ('.source' if 'source' in train else '')
    ds_cfg = _lookup(cfg, dotted).copy()
    ds_cfg['pipeline'] = []
    dataset = DATASETS.build(ds_cfg)
    num_classes = len(dataset.metainfo['classes'])
    paths = [dataset.get_data_info(i)['seg_map_path'] for i in range(len(dataset))]
    with Pool(args.nproc) as pool:
        counts = pool.starmap(count_classes, [(p, num_classes) for p in paths])
    stats = dict(num_classes=num_classes,
                 images=[dict(seg_map=osp.relpath(p, dataset.data_root), counts=c)
                         for p, c in zip(paths, counts)])
    path = write_class_stats(dataset.data_root, stats)
    print(f'wrote class statistics of {len(paths)} label files to {path}')


if __name__ == '__main__':
    main()
