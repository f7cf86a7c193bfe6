# Copyright (c) mmuda contributors. All rights reserved.
"""Prepare GTA5 for mmuda: train-id labels and the class statistics of Rare Class Sampling.

    python tools/dataset_converters/gta.py data/gta [--nproc 8]

Expects the released layout ``data/gta/images/*.png`` and ``data/gta/labels/*.png`` (palette
PNGs of Cityscapes label ids) and writes ``labels/*_labelTrainIds.png`` (19 train ids, 255 =
ignore) and ``class_stats.json`` (pixels per class per image) beside them. Safe to re-run.
"""
import argparse
import glob
import os.path as osp

from mmuda.datasets.cityscapes import convert_label_files

SUFFIX = '_labelTrainIds.png'


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_root')
    parser.add_argument('--nproc', type=int, default=4)
    args = parser.parse_args()
    label_dir = osp.join(args.data_root, 'labels')
    if not osp.isdir(label_dir):
        raise SystemExit(f'no folder {label_dir!r}: expected GTA5 extracted as '
                         f'<data_root>/images/*.png and <data_root>/labels/*.png')
    sources = sorted(p for p in glob.glob(osp.join(label_dir, '*.png'))
                     if not p.endswith(SUFFIX))
    if not sources:
        raise SystemExit(f'found no label PNGs in {label_dir!r}')
    missing = [p for p in sources
               if not osp.isfile(osp.join(args.data_root, 'images', osp.basename(p)))]
    if missing:
        raise SystemExit(f'{len(missing)} label(s) have no image in images/, e.g. '
                         f'{missing[0]!r}')
    targets = [p[:-4] + SUFFIX for p in sources]
    path = convert_label_files(args.data_root, sources, targets, args.nproc)
    print(f'converted {len(targets)} labels; class statistics in {path}')


if __name__ == '__main__':
    main()
