# Copyright (c) mmuda contributors. All rights reserved.
"""mmseg's IoU metric that also reports the mean IoU over named class subsets.

SYNTHIA -> Cityscapes models predict the 19 Cityscapes classes, but SYNTHIA has no terrain,
truck or train, so the benchmark reports the mIoU over 16 classes and over 13 (also without
wall, fence and pole) next to the 19-class one::

    val_evaluator = dict(type='SubsetIoUMetric', iou_metrics=['mIoU'],
                         subsets=dict(mIoU16=[...16 class names...],
                                      mIoU13=[...13 class names...]))

The subset means are taken over the same per-class IoUs as ``mIoU``: a class absent from
both the predictions and the labels has IoU NaN and is left out of the means (mmseg's
``nanmean``), and ``nan_to_num`` applies to them as to ``mIoU``.
"""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.logging import MMLogger, print_log
from mmseg.evaluation import IoUMetric

from mmuda.registry import METRICS


@METRICS.register_module()
class SubsetIoUMetric(IoUMetric):
    """:class:`mmseg.evaluation.IoUMetric` plus ``<name>``: the mIoU (in %, as ``mIoU``) over
    each class subset of ``subsets``.

    Args:
        subsets (dict[str, list[str | int]]): metric name -> the classes it averages over,
            as class names of the dataset or class indices. The names are checked against the
            dataset's classes when the evaluator gets them (before training starts).
        **kwargs: passed to ``IoUMetric`` (``iou_metrics``, ``ignore_index``,
            ``nan_to_num``, ...).
    """

    def __init__(self, subsets: Optional[Dict[str, Sequence[Union[str, int]]]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        subsets = dict(subsets or {})
        for name, classes in subsets.items():
            if not isinstance(name, str) or not name:
                raise TypeError(f'SubsetIoUMetric: subset names must be non-empty strings, '
                                f'got {name!r}')
            if isinstance(classes, (str, int)) or len(classes) == 0:
                raise ValueError(f'SubsetIoUMetric: subset {name!r} must be a non-empty list '
                                 f'of class names or indices, got {classes!r}')
        reserved = {'aAcc', 'mIoU', 'mAcc', 'mDice', 'mFscore', 'mPrecision', 'mRecall'}
        clash = sorted(reserved & set(subsets))
        if clash:
            raise ValueError(f'SubsetIoUMetric: subset name(s) {clash} clash with the metrics '
                             f'of IoUMetric; choose other names (e.g. mIoU16)')
        self.subsets = {name: list(classes) for name, classes in subsets.items()}
        self._subset_indices: Optional[Dict[str, List[int]]] = None

    @property
    def dataset_meta(self) -> Optional[dict]:
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict) -> None:
        self._dataset_meta = dataset_meta
        if dataset_meta is not None and 'classes' in dataset_meta:
            self._subset_indices = self.resolve_subsets(dataset_meta['classes'])

    def resolve_subsets(self, class_names: Sequence[str]) -> Dict[str, List[int]]:
        """Class indices of each subset; ``ValueError`` naming the subset and the dataset's
        classes for an unknown name or an index out of range."""
        class_names = list(class_names)
        resolved = {}
        for name, classes in self.subsets.items():
            indices = []
            for c in classes:
                if isinstance(c, str):
                    if c not in class_names:
                        raise ValueError(
                            f'SubsetIoUMetric: subset {name!r} names class {c!r}, which the '
                            f'dataset does not have; expected one of {class_names}')
                    indices.append(class_names.index(c))
                elif isinstance(c, (int, np.integer)) and not isinstance(c, bool):
                    if not 0 <= c < len(class_names):
                        raise ValueError(
                            f'SubsetIoUMetric: subset {name!r} has class index {c}; expected '
                            f'0..{len(class_names) - 1} (the dataset has {len(class_names)} '
                            f'classes)')
                    indices.append(int(c))
                else:
                    raise TypeError(f'SubsetIoUMetric: subset {name!r} holds {c!r}; expected '
                                    f'class names or indices')
            if len(set(indices)) != len(indices):
                raise ValueError(f'SubsetIoUMetric: subset {name!r} lists a class twice: '
                                 f'{classes}')
            resolved[name] = indices
        return resolved

    def compute_metrics(self, results: list) -> Dict[str, float]:
        metrics = super().compute_metrics(results)
        if self.format_only or not self.subsets:
            return metrics
        if self._subset_indices is None:  # dataset_meta set without the property
            self._subset_indices = self.resolve_subsets(self.dataset_meta['classes'])
        totals = tuple(zip(*results))
        iou = self.total_area_to_metrics(sum(totals[0]), sum(totals[1]), sum(totals[2]),
                                         sum(totals[3]), ['mIoU'], self.nan_to_num,
                                         self.beta)['IoU']
        out = OrderedDict(metrics)
        lines = []
        for name, indices in self._subset_indices.items():
            values = iou[indices]
            mean = np.nan if np.isnan(values).all() else np.nanmean(values)
            out[name] = np.round(mean * 100, 2)
            lines.append(f'{name} ({len(indices)} classes): {out[name]}')
        print_log('class subsets: ' + '; '.join(lines), MMLogger.get_current_instance())
        return out
