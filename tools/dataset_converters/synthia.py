# Copyright (c) mmuda contributors. All rights reserved.
"""Prepare SYNTHIA (RAND-CITYSCAPES) for mmuda: train-id labels and the class statistics of
Rare Class Sampling.

    python tools/dataset_converters/synthia.py data/synthia [--nproc 8]

Expects the released layout ``data/synthia/RGB/*.png`` and ``data/synthia/GT/LABELS/*.png``
(16-bit PNGs, the SYNTHIA class id in the first channel) and writes
``GT/LABELS/*_labelTrainIds.png`` (19 Cityscapes train ids, 255 = ignore; SYNTHIA has no
terrain, truck or train) and ``class_stats.json`` (pixels per class per image). A label that
is not a SYNTHIA label stops the conversion before any file is written. Safe to re-run.
"""
import argparse
import glob
import os.path as osp

from mmuda.datasets.synthia import SUFFIX, convert_synthia_labels

LAYOUT = 'expected SYNTHIA RAND-CITYSCAPES extracted as <data_root>/RGB/*.png and ' \
         '<data_root>/GT/LABELS/*.png'


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_root')
    parser.add_argument('--nproc', type=int, default=4)
    args = parser.parse_args()
    img_dir = osp.join(args.data_root, 'RGB')
    label_dir = osp.join(args.data_root, 'GT', 'LABELS')
    missing = [d for d in (img_dir, label_dir) if not osp.isdir(d)]
    if missing:
        raise SystemExit(f'no folder {" or ".join(repr(d) for d in missing)}: {LAYOUT}')
    sources = sorted(p for p in glob.glob(osp.join(label_dir, '*.png'))
                     if not p.endswith(SUFFIX))
    if not sources:
        raise SystemExit(f'found no label PNGs in {label_dir!r}: {LAYOUT}')
    no_image = [p for p in sources if not osp.isfile(osp.join(img_dir, osp.basename(p)))]
    if no_image:
        raise SystemExit(f'{len(no_image)} label(s) have no image in RGB/, e.g. '
                         f'{no_image[0]!r}')
    targets = [p[:-4] + SUFFIX for p in sources]
    try:
        path = convert_synthia_labels(args.data_root, sources, targets, args.nproc)
    except ValueError as e:
        raise SystemExit(str(e))
    print(f'converted {len(targets)} labels; class statistics in {path}')


if __name__ == '__main__':
    main()
