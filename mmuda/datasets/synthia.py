# Copyright (c) mmuda contributors. All rights reserved.
"""SYNTHIA (RAND-CITYSCAPES), the second synthetic source of the Cityscapes benchmarks.

The released labels (``GT/LABELS/*.png``) are 16-bit, 3-channel PNGs whose first channel
(R) holds the SYNTHIA class id (0..22) and whose second holds the instance id.
``tools/dataset_converters/synthia.py`` maps the class ids to the 19 Cityscapes train ids
once and writes ``GT/LABELS/*_labelTrainIds.png``, which :class:`SynthiaDataset` reads.

SYNTHIA has no terrain, truck or train: a SYNTHIA -> Cityscapes model predicts the 19
Cityscapes classes (as the reference), and results are reported as the mIoU over 16 classes
(without those three) and over 13 (also without wall, fence and pole); see
:class:`mmuda.evaluation.SubsetIoUMetric` and
``configs/_base_/datasets/uda_synthia_to_cityscapes_512x512.py``.
"""
import os
from typing import Dict, Optional, Tuple

import numpy as np
from mmseg.datasets import CityscapesDataset as _MMSegCityscapes

from mmuda.registry import DATASETS
from .base_seg import CheckedSegDataset
from .label_conversion import convert_all_or_nothing, temp_path

#: SYNTHIA class id -> Cityscapes train id, the table of DAFormer's / MIC's converter
#: (lhoyer/MIC seg/tools/convert_datasets/synthia.py, "mapping based on README.txt from
#: SYNTHIA_RAND_CITYSCAPES"). Ids 16 (terrain), 18 (truck) and 20 (train) are mapped as
#: there but do not occur in the data; every other id (0 void, 13 parking slot, 14 road work,
#: 22 lane marking) is ignored (255).
SYNTHIA_TO_TRAIN_ID: Dict[int, int] = {
    3: 0,    # road
    4: 1,    # sidewalk
    2: 2,    # building
    21: 3,   # wall
    5: 4,    # fence
    7: 5,    # pole
    15: 6,   # traffic light
    9: 7,    # traffic sign
    6: 8,    # vegetation
    16: 9,   # terrain (absent from SYNTHIA)
    1: 10,   # sky
    10: 11,  # pedestrian -> person
    17: 12,  # rider
    8: 13,   # car
    18: 14,  # truck (absent from SYNTHIA)
    19: 15,  # bus
    20: 16,  # train (absent from SYNTHIA)
    12: 17,  # motorcycle
    11: 18,  # bicycle
}
#: The SYNTHIA class ids of the README (0 void .. 22 lane marking).
MAX_SYNTHIA_ID = 22
#: Cityscapes train ids SYNTHIA has no pixels of: terrain, truck, train.
ABSENT_TRAIN_IDS = (9, 14, 16)
#: The 13-class protocol also drops wall, fence and pole.
ABSENT_TRAIN_IDS_13 = ABSENT_TRAIN_IDS + (3, 4, 5)
CLASSES_16 = tuple(c for i, c in enumerate(_MMSegCityscapes.METAINFO['classes'])
                   if i not in ABSENT_TRAIN_IDS)
CLASSES_13 = tuple(c for i, c in enumerate(_MMSegCityscapes.METAINFO['classes'])
                   if i not in ABSENT_TRAIN_IDS_13)

SUFFIX = '_labelTrainIds.png'


@DATASETS.register_module()
class SynthiaDataset(CheckedSegDataset):
    """SYNTHIA RAND-CITYSCAPES (Ros et al., CVPR 2016) with the 19 Cityscapes classes.

    Layout (``data_root``): ``RGB/0000000.png ...`` (1280 x 760) and
    ``GT/LABELS/0000000_labelTrainIds.png`` (written by
    ``tools/dataset_converters/synthia.py`` from the released ``GT/LABELS/0000000.png``), plus
    ``class_stats.json`` for Rare Class Sampling. The whole set (9400 images) is the training
    split.
    """
    METAINFO = _MMSegCityscapes.METAINFO

    def __init__(self, img_suffix: str = '.png', seg_map_suffix: str = SUFFIX,
                 data_prefix: Optional[dict] = None, **kwargs):
        if data_prefix is None:
            data_prefix = dict(img_path='RGB', seg_map_path='GT/LABELS')
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         data_prefix=data_prefix, **kwargs)


def synthia_ids_to_train_ids(ids: np.ndarray, ignore_index: int = 255) -> np.ndarray:
    """Map SYNTHIA class ids (0..22) to Cityscapes train ids (``ignore_index`` for the ids
    without one)."""
    lut = np.full(MAX_SYNTHIA_ID + 1, ignore_index, dtype=np.uint8)
    for synthia_id, train_id in SYNTHIA_TO_TRAIN_ID.items():
        lut[synthia_id] = train_id
    return lut[ids]


def read_synthia_class_channel(path: str, dataset: str = 'SYNTHIA') -> np.ndarray:
    """The class channel of a SYNTHIA / SYNTHIA-Seq label PNG (16-bit, 3 channels, the class
    id in the first channel); ``ValueError`` naming the file and what was expected when it is
    not such a PNG."""
    import cv2
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if label is None:
        raise ValueError(f'{path!r}: cannot be read as a PNG')
    if label.dtype != np.uint16 or label.ndim != 3 or label.shape[2] != 3:
        channels = 1 if label.ndim == 2 else label.shape[2]
        raise ValueError(
            f'{path!r}: expected a {dataset} label PNG (16-bit, 3 channels, the class id in the '
            f'first channel), got {label.dtype.itemsize * 8}-bit with {channels} channel(s)')
    return label[:, :, 2]  # cv2 reads BGR: index 2 is the PNG's first (R) channel


def read_synthia_label(path: str) -> np.ndarray:
    """The SYNTHIA class-id map of a released label PNG (16-bit, 3 channels, class in R).

    Raises ``ValueError`` naming the file and what was expected when it is not one.
    """
    ids = read_synthia_class_channel(path)
    bad = np.unique(ids[ids > MAX_SYNTHIA_ID])
    if bad.size:
        shown = ', '.join(str(int(i)) for i in bad[:10]) + (', ...' if bad.size > 10 else '')
        raise ValueError(f'{path!r}: holds class id(s) [{shown}]; expected SYNTHIA class ids '
                         f'0..{MAX_SYNTHIA_ID} in the first channel')
    return ids


def convert_synthia_label(src: str, dst: str, tmp_tag: str,
                          num_classes: int = 19) -> Tuple[Optional[Dict[str, int]],
                                                          Optional[str]]:
    """Write the train-id PNG of a released SYNTHIA label to ``<dst>.tmp-<tmp_tag>.png``
    (moved into place by the caller once every label converted).

    Returns ``(class counts, None)``, or ``(None, problem)`` for a label that is not a SYNTHIA
    label (nothing is written then).
    """
    from PIL import Image

    from .class_stats import class_counts
    try:
        ids = read_synthia_label(src)
    except ValueError as e:
        return None, str(e)
    train = synthia_ids_to_train_ids(ids)
    Image.fromarray(train).save(temp_path(dst, tmp_tag))
    return class_counts(train, num_classes), None


def convert_synthia_labels(data_root: str, sources, targets, nproc: int = 4) -> str:
    """Convert released SYNTHIA labels to train-id PNGs in ``nproc`` processes and write
    ``<data_root>/class_stats.json``; returns the statistics' path.

    All or nothing (:func:`mmuda.datasets.label_conversion.convert_all_or_nothing`): if any
    label is bad, ``ValueError`` lists the bad labels and the folder is left as it was;
    otherwise the files are moved into place, then the statistics written.
    """
    import os.path as osp

    from .class_stats import write_class_stats
    tag = str(os.getpid())
    results = convert_all_or_nothing(
        convert_synthia_label, [(s, t, tag) for s, t in zip(sources, targets)], targets, tag,
        'are not SYNTHIA labels', problem=lambda r: r[1], nproc=nproc)
    images = [dict(seg_map=osp.relpath(t, data_root), counts=c)
              for t, (c, _) in zip(targets, results)]
    return write_class_stats(data_root, dict(num_classes=19, images=images))
