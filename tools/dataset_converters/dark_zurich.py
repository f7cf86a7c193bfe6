# Copyright (c) mmuda contributors. All rights reserved.
"""Prepare Dark Zurich for mmuda: ``*_gt_labelTrainIds.png`` from the released
``*_gt_labelIds.png`` of the val split (the only split with public labels).

    python tools/dataset_converters/dark_zurich.py data/dark_zurich [--nproc 8]

Expects ``Dark_Zurich_val_anon.zip`` extracted as
``data/dark_zurich/gt/val/night/<sequence>/*_gt_labelIds.png`` (with the images in
``data/dark_zurich/rgb_anon/val/night/<sequence>/``) and writes the train-id labels (the 19
Cityscapes classes, 255 = ignore; cityscapesScripts' table) beside them, read by
``DarkZurichDataset``. The train and test splits have no labels. A label that is not a
one-channel label-id PNG stops the conversion before any file is written (files are written to
temporary names and renamed once all converted). Safe to re-run.
"""
import argparse
import os.path as osp

from mmuda.datasets.acdc import convert_id_labels, find_id_labels
from mmuda.datasets.dark_zurich import DarkZurichDataset


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_root')
    parser.add_argument('--nproc', type=int, default=4)
    args = parser.parse_args()
    gt_dir = osp.join(args.data_root, 'gt', 'val', 'night')
    if not osp.isdir(gt_dir):
        raise SystemExit(f'no folder {gt_dir!r}: expected {DarkZurichDataset.LAYOUT}')
    sources, targets = find_id_labels(gt_dir)
    if not sources:
        raise SystemExit(f'found no *_gt_labelIds.png under {gt_dir!r}/<sequence>/')
    print(f'converting {len(sources)} labels of {gt_dir}')
    try:
        convert_id_labels(sources, targets, args.nproc)
    except ValueError as e:
        raise SystemExit(str(e))
    print(f'converted {len(targets)} labels to *_gt_labelTrainIds.png')


if __name__ == '__main__':
    main()
