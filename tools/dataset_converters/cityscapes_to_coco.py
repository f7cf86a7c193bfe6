# Copyright (c) mmuda contributors. All rights reserved.
"""Cityscapes (and Foggy Cityscapes) instance labels -> COCO detection json, for the
detection benchmarks (mmdet's ``CityscapesDataset``: person, rider, car, truck, bus, train,
motorcycle, bicycle; or ``--classes car`` for Sim10k/KITTI -> Cityscapes).

    python tools/dataset_converters/cityscapes_to_coco.py data/cityscapes \
        [--split train val] [--classes car] [--img-suffix _leftImg8bit.png] [--out-dir DIR]

Reads ``gtFine/<split>/<city>/*_gtFine_instanceIds.png`` (id = label id x 1000 + instance for
instance classes) and writes ``<out-dir>/instances<_car>_<split>.json`` (default out dir:
``<data_root>/annotations``) whose image file names are relative to ``leftImg8bit/<split>``.
For Foggy Cityscapes pass ``--img-suffix _leftImg8bit_foggy_beta_0.02.png`` and the foggy
image root; boxes are the same.

Which instances become boxes follows the converter the reference implementations use
(Detectron's ``convert_cityscapes_to_coco.py`` with ``instances2dict_with_polygons``, shipped
with maskrcnn-benchmark and krumo/Domain-Adaptive-Faster-RCNN-PyTorch), so that box counts
match theirs: the outer contours of each instance's pixel mask are traced (OpenCV,
``RETR_EXTERNAL``, ``CHAIN_APPROX_NONE``) and an instance is DROPPED when one of its contours
has at most 2 points, i.e. when any separate piece of it is a stray 1- or 2-pixel fragment
(also a whole instance of 1 or 2 pixels). A kept instance's box is the tight box of its
contour points (x, y, w, h with w = x2 - x1 + 1, COCO convention), inside the image with a
positive area; its area is its pixel count. ``--keep-fragments`` keeps every instance
(the tight box of all its pixels).
"""
import argparse
import glob
import json
import os
import os.path as osp

import cv2
import numpy as np
from PIL import Image

#: the 8 detection classes and their Cityscapes label ids
CLASS_LABEL_IDS = dict(person=24, rider=25, car=26, truck=27, bus=28, train=31,
                       motorcycle=32, bicycle=33)


def instance_box(mask: np.ndarray, keep_fragments: bool = False):
    """(x, y, w, h) of an instance's pixel mask, or None when the reference converter drops
    it (a contour of at most 2 points: a 1- or 2-pixel piece)."""
    if keep_fragments:
        ys, xs = np.nonzero(mask)
    else:
        contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_NONE)
        if not contours or min(len(c) for c in contours) <= 2:
            return None
        points = np.concatenate([c.reshape(-1, 2) for c in contours])
        xs, ys = points[:, 0], points[:, 1]
    x0, y0 = int(xs.min()), int(ys.min())
    return x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1


def instances_of(instance_map: np.ndarray, classes, keep_fragments: bool = False):
    """(class name, x, y, w, h, area) of every instance of ``classes`` in a Cityscapes
    instanceIds map (ids >= 1000 are instances; smaller ids are crowd/stuff regions), and
    the number of instances dropped by the reference converter's rule."""
    wanted = {CLASS_LABEL_IDS[c]: c for c in classes}
    out, dropped = [], 0
    for inst in np.unique(instance_map):
        if inst < 1000 or inst // 1000 not in wanted:
            continue
        mask = instance_map == inst
        box = instance_box(mask, keep_fragments)
        if box is None:
            dropped += 1
            continue
        out.append((wanted[inst // 1000], *box, int(mask.sum())))
    return out, dropped


def convert_split(data_root: str, split: str, classes, img_suffix: str,
                  keep_fragments: bool = False) -> dict:
    gt_dir = osp.join(data_root, 'gtFine', split)
    img_dir = osp.join(data_root, 'leftImg8bit', split)
    for folder in (gt_dir, img_dir):
        if not osp.isdir(folder):
            raise SystemExit(f'no folder {folder!r}: expected Cityscapes as '
                             f'<data_root>/leftImg8bit/<split>/<city>/ and '
                             f'<data_root>/gtFine/<split>/<city>/')
    label_files = sorted(glob.glob(osp.join(gt_dir, '*', '*_gtFine_instanceIds.png')))
    if not label_files:
        raise SystemExit(f'found no *_gtFine_instanceIds.png under {gt_dir!r}/<city>/')
    categories = [dict(id=i + 1, name=c) for i, c in enumerate(classes)]
    cat_id = {c['name']: c['id'] for c in categories}
    images, annotations, dropped = [], [], 0
    for image_id, path in enumerate(label_files):
        stem = osp.basename(path)[:-len('_gtFine_instanceIds.png')]
        city = osp.basename(osp.dirname(path))
        file_name = osp.join(city, stem + img_suffix)
        if not osp.isfile(osp.join(img_dir, file_name)):
            raise SystemExit(f'the image {osp.join(img_dir, file_name)!r} of label {path!r} '
                             f'does not exist (image suffix {img_suffix!r})')
        instance_map = np.asarray(Image.open(path))
        h, w = instance_map.shape[:2]
        images.append(dict(id=image_id, file_name=file_name, height=h, width=w))
        instances, n_dropped = instances_of(instance_map, classes, keep_fragments)
        dropped += n_dropped
        for name, x, y, bw, bh, area in instances:
            annotations.append(dict(id=len(annotations) + 1, image_id=image_id,
                                    category_id=cat_id[name], bbox=[x, y, bw, bh],
                                    area=area, iscrowd=0))
    return dict(images=images, annotations=annotations, categories=categories), dropped


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_root')
    parser.add_argument('--split', nargs='+', default=['train', 'val'])
    parser.add_argument('--classes', nargs='+', default=list(CLASS_LABEL_IDS),
                        choices=list(CLASS_LABEL_IDS))
    parser.add_argument('--img-suffix', default='_leftImg8bit.png')
    parser.add_argument('--out-dir', default=None)
    parser.add_argument('--keep-fragments', action='store_true',
                        help='keep the instances the reference converter drops (a separate '
                        'piece of 1 or 2 pixels)')
    args = parser.parse_args()
    out_dir = args.out_dir or osp.join(args.data_root, 'annotations')
    os.makedirs(out_dir, exist_ok=True)
    tag = '' if args.classes == list(CLASS_LABEL_IDS) else '_' + '_'.join(args.classes)
    for split in args.split:
        coco, dropped = convert_split(args.data_root, split, args.classes, args.img_suffix,
                                      args.keep_fragments)
        out = osp.join(out_dir, f'instances{tag}_{split}.json')
        tmp = f'{out}.tmp-{os.getpid()}'
        with open(tmp, 'w') as f:
            json.dump(coco, f)
        os.replace(tmp, out)
        print(f'{split}: {len(coco["images"])} images, {len(coco["annotations"])} boxes '
              f'({dropped} instances with a 1- or 2-pixel piece dropped, as the reference '
              f'converter) -> {out}')


if __name__ == '__main__':
    main()
