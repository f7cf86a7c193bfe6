# Copyright (c) mmuda contributors. All rights reserved.
"""Check a BDD100K download for mmuda (nothing to convert: the semantic-segmentation labels
are Cityscapes train ids already).

    python tools/dataset_converters/bdd100k.py data/bdd100k [--splits val train] [--nproc 8]

Expects the 10K images and the semantic-segmentation labels extracted as
``data/bdd100k/images/10k/<split>/*.jpg`` and ``data/bdd100k/labels/sem_seg/masks/<split>/*.png``
(or the former release as ``data/bdd100k/seg/images/<split>/*.jpg`` and
``data/bdd100k/seg/labels/<split>/*_train_id.png``). Checks that every image has its label and
every label its image, and that every label is a one-channel PNG of train ids 0..18 or 255
(ignore); the exit status is 1 with a message naming each bad file, 0 when all are good. By
default only the validation split (the DG target, 1000 images) is checked.
"""
import argparse
import os.path as osp

from mmuda.datasets.bdd100k import check_bdd_labels, find_bdd_split, pair_bdd_files
from mmuda.datasets.label_check import format_problems


def check_split(data_root: str, split: str, nproc: int) -> str:
    """Check one split; returns its summary line, ``SystemExit`` with the problems."""
    try:
        layout = find_bdd_split(data_root, split)
    except FileNotFoundError as e:
        raise SystemExit(str(e))
    pairs = pair_bdd_files(data_root, layout)
    img_dir = osp.join(data_root, layout.img_dir)
    seg_dir = osp.join(data_root, layout.seg_dir)
    if not pairs.labels and not pairs.images_without_label:
        raise SystemExit(f'{split}: found no images ending in {layout.img_suffix!r} in '
                         f'{img_dir!r}')
    unpaired = []
    if pairs.images_without_label:
        unpaired.append(f'{len(pairs.images_without_label)} image(s) have no label '
                        f'(<name>{layout.seg_map_suffix}) in {seg_dir!r}, e.g. '
                        f'{pairs.images_without_label[0]!r}')
    if pairs.labels_without_image:
        unpaired.append(f'{len(pairs.labels_without_image)} label(s) have no image '
                        f'(<name>{layout.img_suffix}) in {img_dir!r}, e.g. '
                        f'{pairs.labels_without_image[0]!r}')
    if unpaired:
        raise SystemExit(f'{split}: ' + '; '.join(unpaired))
    print(f'{split}: checking {len(pairs.labels)} labels of {seg_dir} '
          f'({layout.name} layout)')
    problems = check_bdd_labels(pairs.labels, nproc, progress=True)
    if problems:
        raise SystemExit(f'{split}: {len(problems)} of {len(pairs.labels)} label(s) are not '
                         f'BDD100K train-id labels:\n{format_problems(problems)}')
    return (f'{split}: {len(pairs.labels)} image/label pairs, all labels train ids 0..18 or '
            f'255 ({layout.name} layout: data_prefix img_path={layout.img_dir!r}, '
            f'seg_map_path={layout.seg_dir!r}, seg_map_suffix={layout.seg_map_suffix!r})')


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_root')
    parser.add_argument('--splits', nargs='+', choices=('val', 'train'), default=['val'],
                        help='the splits to check (default: val, the DG target)')
    parser.add_argument('--nproc', type=int, default=4)
    args = parser.parse_args()
    if not osp.isdir(args.data_root):
        raise SystemExit(f'no folder {args.data_root!r}: expected the data root of BDD100K '
                         f'(the folder holding images/10k and labels/sem_seg)')
    for split in args.splits:
        print(check_split(args.data_root, split, args.nproc))


if __name__ == '__main__':
    main()
