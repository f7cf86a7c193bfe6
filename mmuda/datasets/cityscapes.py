# Copyright (c) mmuda contributors. All rights reserved.
"""Datasets of the street-scene benchmarks that share Cityscapes' 19 train classes:
Cityscapes (the usual target) and GTA5 (the usual synthetic source).

Labels are read as train-id PNGs (0..18, 255 = ignore), written once by the converters in
tools/dataset_converters/ (gta.py, cityscapes.py) from the datasets' own label-id PNGs.
"""
from typing import Dict

import numpy as np
from mmseg.datasets import CityscapesDataset as _MMSegCityscapes

from mmuda.registry import DATASETS
from .base_seg import CheckedSegDataset

#: Cityscapes label id -> train id (the 19 evaluated classes; every other id is ignored).
#: The table of cityscapesScripts' labels.py, which GTA5 and the ACDC/Dark Zurich labels use too.
CITYSCAPES_LABEL_TO_TRAIN_ID: Dict[int, int] = {
    7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10, 24: 11,
    25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18}


def label_ids_to_train_ids(label: np.ndarray, ignore_index: int = 255) -> np.ndarray:
    """Map a Cityscapes label-id map to train ids (``ignore_index`` for the other ids)."""
    lut = np.full(256, ignore_index, dtype=np.uint8)
    for label_id, train_id in CITYSCAPES_LABEL_TO_TRAIN_ID.items():
        lut[label_id] = train_id
    if label.dtype != np.uint8:
        if label.min() < 0 or label.max() > 255:
            raise ValueError(f'label ids must be in 0..255, got {label.min()}..{label.max()}')
        label = label.astype(np.uint8)
    return lut[label]


@DATASETS.register_module()
class CityscapesDataset(CheckedSegDataset, _MMSegCityscapes):
    """mmseg's ``CityscapesDataset`` (19 classes, ``*_leftImg8bit.png`` images,
    ``*_gtFine_labelTrainIds.png`` labels) with mmuda's file checks.

    Layout (``data_root``): ``leftImg8bit/{train,val}/<city>/*_leftImg8bit.png`` and
    ``gtFine/{train,val}/<city>/*_gtFine_labelTrainIds.png`` (written by
    ``tools/dataset_converters/cityscapes.py``). Foggy Cityscapes and the ACDC / Dark Zurich
    variants reuse it with other ``img_suffix`` / ``data_prefix``.
    """


@DATASETS.register_module()
class GTA5Dataset(CheckedSegDataset):
    """GTA5 (Richter et al., ECCV 2016) with the 19 Cityscapes classes.

    Layout (``data_root``): ``images/00001.png ...`` and ``labels/00001_labelTrainIds.png``
    (written by ``tools/dataset_converters/gta.py`` from the released ``labels/00001.png``,
    which hold Cityscapes label ids), plus ``class_stats.json`` for Rare Class Sampling.
    """
    METAINFO = _MMSegCityscapes.METAINFO

    def __init__(self, img_suffix: str = '.png',
                 seg_map_suffix: str = '_labelTrainIds.png', **kwargs):
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)


def convert_label_file(src: str, dst: str, num_classes: int = 19) -> Dict[str, int]:
    """Write the train-id PNG of a label-id PNG (atomically); returns its class counts.

    Label-id PNGs are read as stored: palette PNGs (GTA5) give their indices, 8-bit grey
    PNGs (Cityscapes ``*_gtFine_labelIds.png``) their values.
    """
    import os

    from PIL import Image

    from .class_stats import class_counts
    with Image.open(src) as img:
        if img.mode not in ('P', 'L', 'I', 'I;16'):
            raise ValueError(f'{src!r}: expected a label-id PNG (palette or grey), got an image '
                             f'of mode {img.mode!r}')
        label = np.asarray(img)
    train = label_ids_to_train_ids(label)
    tmp = f'{dst}.tmp-{os.getpid()}.png'
    Image.fromarray(train).save(tmp)
    os.replace(tmp, dst)
    return class_counts(train, num_classes)


def convert_label_files(data_root: str, sources, targets, nproc: int = 4,
                        stats_of=lambda target: True) -> str:
    """Convert label-id PNGs to train-id PNGs in ``nproc`` processes and write the class
    statistics of the targets selected by ``stats_of`` to ``<data_root>/class_stats.json``;
    returns the statistics' path."""
    import os.path as osp
    from multiprocessing import Pool

    from .class_stats import write_class_stats
    with Pool(nproc) as pool:
        counts = pool.starmap(convert_label_file, zip(sources, targets))
    images = [dict(seg_map=osp.relpath(t, data_root), counts=c)
              for t, c in zip(targets, counts) if stats_of(t)]
    return write_class_stats(data_root, dict(num_classes=19, images=images))
