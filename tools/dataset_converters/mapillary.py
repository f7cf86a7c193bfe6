# Copyright (c) mmuda contributors. All rights reserved.
"""Prepare Mapillary Vistas v1.2 for mmuda: labels of the 19 Cityscapes classes, the target
of the domain-generalisation evaluation GTA5 -> Mapillary.

    python tools/dataset_converters/mapillary.py data/mapillary [--splits validation training]
        [--nproc 8]

Expects mapillary-vistas-dataset_public_v1.2.zip extracted as
``data/mapillary/{validation,training}/images/*.jpg`` and ``.../labels/*.png`` (8-bit palette
PNGs whose values are the 66 class ids of ``config.json``; from the v2.0 zip, the labels in
``<split>/v1.2/labels`` are used). Writes ``labels/*_labelTrainIds.png`` beside them: the
class ids mapped to Cityscapes train ids with the table of RobustNet / DAFormer / HRDA
(``MAPILLARY_TO_TRAIN_ID`` in ``mmuda/datasets/mapillary.py``), every other class 255 =
ignore. By default only the validation split (the DG target, 2000 images) is converted.

``config.json`` (or ``config_v1.2.json``), when present, must list the v1.2 classes and
colours. A label that is not a v1.2 label (another mode, a class id above 65, a colour of
another palette) stops the conversion of its split before any file of it is written; files are
written to temporary names and renamed once all converted. Safe to re-run.
"""
import argparse
import os.path as osp

from mmuda.datasets.mapillary import (CONFIG_FILES, SPLITS, check_mapillary_config,
                                      convert_mapillary_labels, find_mapillary_split)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_root')
    parser.add_argument('--splits', nargs='+', choices=SPLITS, default=['validation'],
                        help='the splits to convert (default: validation, the DG target)')
    parser.add_argument('--nproc', type=int, default=4)
    args = parser.parse_args()
    if not osp.isdir(args.data_root):
        raise SystemExit(f'no folder {args.data_root!r}: expected the data root of '
                         f'Mapillary Vistas v1.2')
    configs = [osp.join(args.data_root, f) for f in CONFIG_FILES
               if osp.isfile(osp.join(args.data_root, f))]
    try:
        for path in configs[:1]:
            check_mapillary_config(path)
        splits = [find_mapillary_split(args.data_root, s) for s in args.splits]
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(str(e))
    if not configs:
        print(f'note: no {" or ".join(CONFIG_FILES)} in {args.data_root!r}; the label PNGs '
              f'are checked against the v1.2 classes and colours only')
    for name, split in zip(args.splits, splits):
        print(f'{name}: converting {len(split.sources)} labels of {split.label_dir}')
        try:
            convert_mapillary_labels(split.sources, split.targets, args.nproc)
        except ValueError as e:
            raise SystemExit(f'{name}: {e}')
        print(f'{name}: converted {len(split.targets)} labels to *_labelTrainIds.png')


if __name__ == '__main__':
    main()
