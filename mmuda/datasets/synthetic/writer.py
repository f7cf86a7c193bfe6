# Copyright (c) mmuda contributors. All rights reserved.
"""Writes an embedded synthetic domain to disk in a real dataset's layout.

Layout of one domain (what :class:`SyntheticSegDataset` reads with mmseg's loading pipeline)::

    <data_root>/<domain>-<hash>/
        images/{train,val}/<domain>_<index>.png   RGB images
        labels/{train,val}/<domain>_<index>.png   uint8 train ids, 255 = ignore
        meta.json                                 generation parameters and class statistics
        class_stats.json                          per-image class pixel counts (Rare Class
                                                  Sampling; see mmuda/datasets/class_stats.py)
        annotations/instances_{train,val}.json    COCO boxes of the visible cars and persons
                                                  (detection; the layout of
                                                  tools/dataset_converters/cityscapes_to_coco.py)

``<hash>`` is a digest of every generation parameter, so editing a style in a config makes a
new folder instead of silently reusing stale data. Generation writes into a temporary folder
that is renamed into place at the end (a crash leaves no half-written domain) under a file lock
(``<data_root>/.generate.lock``: concurrent ranks of a distributed run generate once).
"""
import contextlib
import fcntl
import hashlib
import json
import os
import os.path as osp
import shutil
import tempfile
import time
import zlib
from typing import Dict, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log

from ..class_stats import STATS_FILE, class_counts
from .scene import CLASSES, DET_CLASSES, generate_scene, instance_boxes, merge_style

GENERATOR_VERSION = 3  # 3: COCO boxes (images unchanged)
SPLITS = ('train', 'val')


def domain_params(domain: str, style: Dict, num_images: Dict[str, int],
                  img_size: Tuple[int, int], seed: int) -> Dict:
    """All parameters that determine a domain's files, normalised (JSON types)."""
    for split in SPLITS:
        if int(num_images.get(split, 0)) < 1:
            raise ValueError(
                f'num_images must give a positive count for each of {SPLITS}; got '
                f'{num_images!r}')
    height, width = img_size
    params = dict(version=GENERATOR_VERSION, domain=domain, style=merge_style(style),
                  num_images={s: int(num_images[s]) for s in SPLITS},
                  img_size=[int(height), int(width)], seed=int(seed))
    return json.loads(json.dumps(params))  # tuples -> lists, so the hash is stable


def domain_dir(data_root: str, params: Dict) -> str:
    digest = hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:8]
    return osp.join(data_root, f'{params["domain"]}-{digest}')


def _write_split(out_dir: str, params: Dict, split: str, per_image: list) -> np.ndarray:
    """Render one split; returns the pixel count of each class (and ignore, last), appends
    each image's class counts to ``per_image`` (the Rare Class Sampling statistics) and writes
    the split's COCO boxes."""
    img_dir, lbl_dir = osp.join(out_dir, 'images', split), osp.join(out_dir, 'labels', split)
    os.makedirs(img_dir)
    os.makedirs(lbl_dir)
    height, width = params['img_size']
    domain_key = zlib.crc32(params['domain'].encode())
    counts = np.zeros(len(CLASSES) + 1, np.int64)
    categories = [dict(id=i + 1, name=c) for i, c in enumerate(DET_CLASSES)]
    images, annotations = [], []
    for index in range(params['num_images'][split]):
        seed_seq = [params['seed'], domain_key, SPLITS.index(split), index]
        image, label, layout = generate_scene(seed_seq, height, width, params['style'])
        name = f'{params["domain"]}_{index:05d}.png'
        cv2.imwrite(osp.join(img_dir, name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        cv2.imwrite(osp.join(lbl_dir, name), label)
        hist = np.bincount(label.ravel(), minlength=256)
        counts[:len(CLASSES)] += hist[:len(CLASSES)]
        counts[-1] += hist[255]
        per_image.append(dict(seg_map=osp.join('labels', split, name),
                              counts=class_counts(label, len(CLASSES))))
        images.append(dict(id=index, file_name=name, height=height, width=width))
        for cls, box, area in instance_boxes(layout):
            annotations.append(dict(id=len(annotations) + 1, image_id=index,
                                    category_id=DET_CLASSES.index(cls) + 1, bbox=box,
                                    area=area, iscrowd=0))
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    with open(osp.join(out_dir, 'annotations', f'instances_{split}.json'), 'w') as f:
        json.dump(dict(images=images, annotations=annotations, categories=categories), f)
    return counts


@contextlib.contextmanager
def fill_atomically(data_root: str, out_dir: str):
    """Yields a temporary folder to fill, or None when ``out_dir`` is complete (it has
    ``meta.json``, written last). The temporary folder becomes ``out_dir`` at the end of the
    block (replacing an incomplete leftover) and is removed if the block fails; the whole block
    runs under ``<data_root>/.generate.lock``, so concurrent processes generate once."""
    if osp.isfile(osp.join(out_dir, 'meta.json')):
        yield None
        return
    os.makedirs(data_root, exist_ok=True)
    with open(osp.join(data_root, '.generate.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if osp.isfile(osp.join(out_dir, 'meta.json')):  # made while we waited
                yield None
                return
            tmp = tempfile.mkdtemp(prefix=osp.basename(out_dir) + '.tmp-', dir=data_root)
            try:
                yield tmp
                if osp.isdir(out_dir):  # a leftover without meta.json: incomplete
                    shutil.rmtree(out_dir)
                os.rename(tmp, out_dir)
            finally:
                if osp.isdir(tmp):
                    shutil.rmtree(tmp)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def generate_domain(data_root: str, params: Dict) -> str:
    """Make sure the domain described by ``params`` exists on disk; returns its folder."""
    out_dir = domain_dir(data_root, params)
    with fill_atomically(data_root, out_dir) as tmp:
        if tmp is None:
            return out_dir
        start = time.time()
        stats, per_image = {}, []
        for split in SPLITS:
            counts = _write_split(tmp, params, split, per_image)
            total = counts.sum()
            stats[split] = dict(
                class_pixel_fraction={c: round(float(n / total), 5)
                                      for c, n in zip(CLASSES, counts[:-1])},
                ignore_fraction=round(float(counts[-1] / total), 5))
        meta = dict(params=params, classes=list(CLASSES), statistics=stats,
                    seconds=round(time.time() - start, 2))
        with open(osp.join(tmp, STATS_FILE), 'w') as f:
            json.dump(dict(num_classes=len(CLASSES), images=per_image), f)
        with open(osp.join(tmp, 'meta.json'), 'w') as f:
            json.dump(meta, f, indent=2)
    print_log(f'Generated the synthetic domain {params["domain"]!r} '
              f'({sum(params["num_images"].values())} images, '
              f'{meta["seconds"]} s) in {osp.abspath(out_dir)}', logger='current')
    return out_dir
