# Copyright (c) mmuda contributors. All rights reserved.
"""Per-image class pixel counts of a segmentation dataset, for Rare Class Sampling.

The statistics are read from the label files once and cached beside the data as
``<data_root>/class_stats.json``::

    {"num_classes": 8, "images": [{"seg_map": "labels/train/x.png", "counts": {"0": 812, ...}},
                                  ...]}

``seg_map`` is relative to the data root. Make them with
``python tools/dataset_converters/compute_class_stats.py CONFIG`` (the synthetic domains write
them when they are generated).
"""
import json
import os
import os.path as osp
from typing import Dict, List

import cv2
import numpy as np

STATS_FILE = 'class_stats.json'


def class_counts(label: np.ndarray, num_classes: int) -> Dict[str, int]:
    """Pixels of each train id in ``[0, num_classes)`` of a label map (other ids ignored)."""
    hist = np.bincount(label.ravel(), minlength=256)[:num_classes]
    return {str(c): int(n) for c, n in enumerate(hist) if n > 0}


def count_classes(seg_map_path: str, num_classes: int) -> Dict[str, int]:
    """:func:`class_counts` of one label PNG."""
    label = cv2.imread(seg_map_path, cv2.IMREAD_UNCHANGED)
    if label is None:
        raise FileNotFoundError(f'cannot read label file {seg_map_path!r}')
    return class_counts(label, num_classes)


def write_class_stats(data_root: str, stats: Dict) -> str:
    """Write atomically (a temporary file renamed into place); returns the path."""
    path = osp.join(data_root, STATS_FILE)
    tmp = path + f'.tmp-{os.getpid()}'
    with open(tmp, 'w') as f:
        json.dump(stats, f)
    os.replace(tmp, path)
    return path


def load_class_stats(data_root: str, num_classes: int, how_to_make: str) -> List[Dict]:
    """Read ``<data_root>/class_stats.json``; a clear error when missing or mismatched."""
    path = osp.join(data_root, STATS_FILE)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Rare Class Sampling needs the class statistics {path!r}, which do not exist. '
            f'Make them with: {how_to_make}')
    with open(path) as f:
        stats = json.load(f)
    if stats.get('num_classes') != num_classes:
        raise ValueError(
            f'{path!r} was computed for {stats.get("num_classes")} classes but the dataset has '
            f'{num_classes}; make them again with: {how_to_make}')
    return stats['images']
