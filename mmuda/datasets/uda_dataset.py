# Copyright (c) mmuda contributors. All rights reserved.
"""The dataset wrapper that pairs a labelled source stream with an unlabelled target stream."""
import bisect
import copy
import os.path as osp
from typing import Dict, List, Optional, Union

import numpy as np
import torch
from mmengine.dataset import BaseDataset

from mmuda.registry import DATASETS
from .class_stats import load_class_stats

MAKE_STATS = 'python tools/dataset_converters/compute_class_stats.py CONFIG'


class RareClassSampler:
    """Rare Class Sampling (DAFormer): draw a class, then a source image holding it.

    ``P(c) = softmax((1 - f_c) / T)`` over the classes present in the statistics, with ``f_c``
    the share of class c among all counted pixels of the source images in the dataset; classes
    that no image holds more than ``min_pixels`` of cannot be drawn and are left out. An image
    holding more than ``min_pixels`` pixels of the drawn class is then drawn uniformly.

    Args:
        stats (list[dict]): per-image class counts (``class_stats.json``'s ``images``).
        seg_maps (list[str]): the dataset's label paths relative to its data root, in index
            order; images absent from ``stats`` are an error.
        class_temp (float): the temperature T. Defaults to 0.01.
        min_pixels (int): pixels an image must hold of a class to be drawn for it.
    """

    def __init__(self, stats: List[Dict], seg_maps: List[str], class_temp: float = 0.01,
                 min_pixels: int = 3000):
        by_file = {s['seg_map']: s['counts'] for s in stats}
        missing = [s for s in seg_maps if s not in by_file]
        if missing:
            raise ValueError(
                f'the class statistics lack {len(missing)} image(s) of the dataset, e.g. '
                f'{missing[0]!r}; make them again with: {MAKE_STATS}')
        totals: Dict[int, int] = {}
        self.images_with_class: Dict[int, List[int]] = {}
        for index, seg_map in enumerate(seg_maps):
            for cls, n in by_file[seg_map].items():
                cls = int(cls)
                totals[cls] = totals.get(cls, 0) + n
                if n > min_pixels:
                    self.images_with_class.setdefault(cls, []).append(index)
        # classes no image holds enough of cannot be sampled
        classes = sorted(c for c in totals if c in self.images_with_class)
        if not classes:
            raise ValueError(f'no image holds more than min_pixels={min_pixels} pixels of any '
                             'class; lower rare_class_sampling.min_pixels')
        # frequencies among all counted pixels (the reference); classes that no image holds
        # enough of are dropped and the softmax renormalised over the rest (the reference
        # asserts instead)
        total = float(sum(totals.values()))
        freq = torch.tensor([totals[c] / total for c in classes], dtype=torch.float64)
        self.classes = classes
        self.probs = torch.softmax((1 - freq) / class_temp, dim=0).numpy()

    def sample(self):
        """Returns (class, source index), drawn with numpy's global generator (seeded per
        data-loader worker by mmengine, like the pipelines' random transforms)."""
        cls = self.classes[np.random.choice(len(self.classes), p=self.probs)]
        candidates = self.images_with_class[cls]
        return cls, candidates[np.random.randint(len(candidates))]


@DATASETS.register_module()
class UDADataset(BaseDataset):
    """Pairs a source and a target dataset; each item holds one sample of each.

    The target sample is drawn independently of the source one, uniformly, with numpy's global
    generator (seeded per data-loader worker by mmengine, like the random transforms). An item
    is laid out for mmdet's ``MultiBranchDataPreprocessor``::

        dict(inputs=dict(source=..., target=...), data_samples=dict(source=..., target=...))

    Each stream has its own dataset and pipeline; the target pipeline should load no labels.

    Multi-source: ``source`` may be a list of datasets (e.g. Sim10k and KITTI); the source
    stream runs over their concatenation and each source sample carries its source's index as
    ``source_domain`` in its metainfo (0 with one source), from which the domain classifiers
    take per-source labels.

    Args:
        source (dict | Dataset | list): the labelled source dataset(s).
        target (dict | Dataset | None): the unlabelled target dataset; None for domain
            generalisation (items hold the ``source`` stream only).
        rare_class_sampling (dict, optional): enable Rare Class Sampling of the source with
            keys ``class_temp`` (0.01), ``min_pixels`` (3000) and ``min_crop_ratio`` (0.5):
            while the crop holds no more than ``min_pixels * min_crop_ratio`` pixels of the
            drawn class, the source pipeline (its random crop) is re-run, at most
            ``max_crop_tries`` (10) times, and the last crop is kept unchecked: up to 11 crops,
            as the reference (``min_crop_ratio=0``: the first crop is kept). Needs
            ``class_stats.json`` beside the source data.
    """

    def __init__(self, source: Union[dict, BaseDataset, List],
                 target: Optional[Union[dict, BaseDataset]],
                 rare_class_sampling: Optional[dict] = None, lazy_init: bool = False):
        sources = list(source) if isinstance(source, (list, tuple)) else [source]
        if not sources:
            raise ValueError('UDADataset needs at least one source dataset')
        self.sources = [DATASETS.build(s) if isinstance(s, dict) else s for s in sources]
        self.source = self.sources[0]
        self.target = DATASETS.build(target) if isinstance(target, dict) else target
        tgt_classes = tuple(self.target.metainfo.get('classes', ())) \
            if self.target is not None else tuple(self.source.metainfo.get('classes', ()))
        for k, dataset in enumerate(self.sources):
            src_classes = tuple(dataset.metainfo.get('classes', ()))
            if src_classes != tgt_classes:
                which = f'source {k} ({type(dataset).__name__})' if len(self.sources) > 1 \
                    else 'source'
                raise ValueError(
                    f'source and target datasets must have the same class list; got {which} '
                    f'{src_classes} and target {tgt_classes}')
        if rare_class_sampling is not None and len(self.sources) > 1:
            raise ValueError('rare_class_sampling supports one source dataset; got '
                             f'{len(self.sources)}')
        self._metainfo = copy.deepcopy(self.source.metainfo)
        self.rcs_cfg: Optional[dict] = None
        self.rcs: Optional[RareClassSampler] = None
        if rare_class_sampling is not None:
            defaults = dict(class_temp=0.01, min_pixels=3000, min_crop_ratio=0.5,
                            max_crop_tries=10)
            unknown = set(rare_class_sampling) - set(defaults)
            if unknown:
                raise KeyError(f'unknown rare_class_sampling key(s) {sorted(unknown)}; '
                               f'expected {sorted(defaults)}')
            self.rcs_cfg = dict(defaults, **rare_class_sampling)
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self._metainfo)

    def full_init(self):
        if self._fully_initialized:
            return
        for dataset in self.sources:
            dataset.full_init()
        self._ends = list(np.cumsum([len(d) for d in self.sources]))
        if self.target is not None:
            self.target.full_init()
        if self.target is not None and len(self.target) == 0:
            raise ValueError('the target dataset is empty')
        if self.rcs_cfg is not None:
            root = self.source.data_root
            num_classes = len(self._metainfo['classes'])
            stats = load_class_stats(root, num_classes, MAKE_STATS)
            seg_maps = [osp.relpath(self.source.get_data_info(i)['seg_map_path'], root)
                        for i in range(len(self.source))]
            self.rcs = RareClassSampler(stats, seg_maps, self.rcs_cfg['class_temp'],
                                        self.rcs_cfg['min_pixels'])
        self._fully_initialized = True

    def __len__(self) -> int:
        if not self._fully_initialized:
            self.full_init()
        return int(self._ends[-1])

    def _locate(self, idx: int):
        """(source index, index in that source) of a source-stream index."""
        k = bisect.bisect_right(self._ends, idx)
        return k, idx - (int(self._ends[k - 1]) if k else 0)

    def get_data_info(self, idx: int) -> dict:
        k, local = self._locate(idx)
        return self.sources[k].get_data_info(local)

    def _source_sample(self, idx: int) -> dict:
        if self.rcs is None:
            k, local = self._locate(idx)
            sample = self.sources[k][local]
            sample['data_samples'].set_metainfo(dict(source_domain=k))
            return sample
        cls, idx = self.rcs.sample()
        sample = self.source[idx]
        if self.rcs_cfg['min_crop_ratio'] > 0:
            # as the reference: the first crop, then up to max_crop_tries re-crops while the
            # crop holds too little of the class; the last re-crop is kept unchecked
            threshold = self.rcs_cfg['min_pixels'] * self.rcs_cfg['min_crop_ratio']
            for _ in range(self.rcs_cfg['max_crop_tries']):
                if (sample['data_samples'].gt_sem_seg.data == cls).sum() > threshold:
                    break
                sample = self.source[idx]  # the pipeline's random crop draws a new crop
        return sample

    def __getitem__(self, idx: int) -> dict:
        if not self._fully_initialized:
            self.full_init()
        src = self._source_sample(idx)
        if self.target is None:  # domain generalisation: the source stream only
            return dict(inputs=dict(source=src['inputs']),
                        data_samples=dict(source=src['data_samples']))
        tgt = self.target[np.random.randint(len(self.target))]
        return dict(inputs=dict(source=src['inputs'], target=tgt['inputs']),
                    data_samples=dict(source=src['data_samples'],
                                      target=tgt['data_samples']))
