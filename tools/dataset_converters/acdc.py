# Copyright (c) mmuda contributors. All rights reserved.
"""Prepare ACDC for mmuda: ``*_gt_labelTrainIds.png`` from the released ``*_gt_labelIds.png``.

    python tools/dataset_converters/acdc.py data/acdc [--nproc 8]
        [--conditions fog night rain snow] [--splits train val]

Expects ``gt_trainval.zip`` (and ``rgb_anon_trainvaltest.zip`` for the images) extracted as
``data/acdc/gt/<condition>/<split>/<sequence>/*_gt_labelIds.png`` and writes the train-id
labels (the 19 Cityscapes classes, 255 = ignore; cityscapesScripts' table, as for Cityscapes)
beside them, read by ``ACDCDataset``. The test split has no labels. A label that is not a
one-channel label-id PNG stops the conversion before any file is written (files are written to
temporary names and renamed once all converted). Safe to re-run.
"""
import argparse
import os.path as osp

from mmuda.datasets.acdc import (ACDC_CONDITIONS, ACDCDataset, convert_id_labels,
                                 find_id_labels)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_root')
    parser.add_argument('--nproc', type=int, default=4)
    parser.add_argument('--conditions', nargs='+', choices=ACDC_CONDITIONS,
                        default=list(ACDC_CONDITIONS), help='default: all four')
    parser.add_argument('--splits', nargs='+', choices=('train', 'val'),
                        default=['train', 'val'], help='default: train and val')
    args = parser.parse_args()
    gt_dir = osp.join(args.data_root, 'gt')
    if not osp.isdir(gt_dir):
        raise SystemExit(f'no folder {gt_dir!r}: expected {ACDCDataset.LAYOUT}')
    sources, targets = [], []
    for condition in args.conditions:
        for split in args.splits:
            folder = osp.join(gt_dir, condition, split)
            if not osp.isdir(folder):
                raise SystemExit(f'no folder {folder!r} (condition {condition!r}, split '
                                 f'{split!r}): expected {ACDCDataset.LAYOUT}')
            found = find_id_labels(folder)
            if not found[0]:
                raise SystemExit(f'found no *_gt_labelIds.png under {folder!r}/<sequence>/')
            sources += found[0]
            targets += found[1]
    print(f'converting {len(sources)} labels of {gt_dir}')
    try:
        convert_id_labels(sources, targets, args.nproc)
    except ValueError as e:
        raise SystemExit(str(e))
    print(f'converted {len(targets)} labels to *_gt_labelTrainIds.png')


if __name__ == '__main__':
    main()
