# Copyright (c) mmuda contributors. All rights reserved.
"""Prepare Cityscapes for mmuda: ``*_gtFine_labelTrainIds.png`` from ``*_gtFine_labelIds.png``.

    python tools/dataset_converters/cityscapes.py data/cityscapes [--nproc 8]

Expects ``leftImg8bit/{train,val}/<city>/*_leftImg8bit.png`` and
``gtFine/{train,val}/<city>/*_gtFine_labelIds.png`` (the official gtFine_trainvaltest.zip) and
writes the train-id labels (19 classes, 255 = ignore) beside them, plus ``class_stats.json``
of the train split (for Rare Class Sampling when Cityscapes is the source). Safe to re-run.
"""
import argparse
import glob
import os.path as osp

from mmuda.datasets.cityscapes import convert_label_files


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_root')
    parser.add_argument('--nproc', type=int, default=4)
    args = parser.parse_args()
    gt_dir = osp.join(args.data_root, 'gtFine')
    if not osp.isdir(gt_dir):
        raise SystemExit(f'no folder {gt_dir!r}: expected Cityscapes extracted as '
                         f'<data_root>/gtFine/<split>/<city>/*_gtFine_labelIds.png')
    sources = sorted(glob.glob(osp.join(gt_dir, '*', '*', '*_gtFine_labelIds.png')))
    if not sources:
        raise SystemExit(f'found no *_gtFine_labelIds.png under {gt_dir!r}/<split>/<city>/')
    targets = [p.replace('_gtFine_labelIds.png', '_gtFine_labelTrainIds.png') for p in sources]
    path = convert_label_files(
        args.data_root, sources, targets, args.nproc,
        stats_of=lambda t: osp.relpath(t, gt_dir).split(osp.sep)[0] == 'train')
    print(f'converted {len(targets)} labels; class statistics of the train split in {path}')


if __name__ == '__main__':
    main()
