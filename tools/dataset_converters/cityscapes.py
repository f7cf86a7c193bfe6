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
from multiprocessing import Pool

from mmuda.datasets.cityscapes import convert_label_file
from mmuda.datasets.class_stats import write_class_stats


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
    with Pool(args.nproc) as pool:
        counts = pool.starmap(convert_label_file, zip(sources, targets))
    train = [(t, c) for t, c in zip(targets, counts)
             if osp.relpath(t, gt_dir).split(osp.sep)[0] == 'train']
    stats = dict(num_classes=19, images=[dict(seg_map=osp.relpath(t, args.data_root), counts=c)
                                         for t, c in train])
    path = write_class_stats(args.data_root, stats)
    print(f'converted {len(targets)} labels; class statistics of the train split in {path}')


if __name__ == '__main__':
    main()
