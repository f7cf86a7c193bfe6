# Copyright (c) mmuda contributors. All rights reserved.
"""Top-1 accuracy and mean class accuracy of image classification.

VisDA-2017 reports the mean of the per-class accuracies (tllib's ``ConfusionMatrix``,
"per-class eval"), Office-31 and Office-Home the overall accuracy; both are computed::

    val_evaluator = dict(type='ClsAccuracyMetric')
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmengine.structures import BaseDataElement

from mmuda.registry import METRICS


def _int(value) -> int:
    if isinstance(value, torch.Tensor):
        return int(value.reshape(-1)[0].item())
    return int(np.asarray(value).reshape(-1)[0])


@METRICS.register_module()
class ClsAccuracyMetric(BaseMetric):
    """``accuracy``: top-1 accuracy (%) over all samples; ``mean_class_accuracy``: the mean,
    over the classes present in the ground truth, of their top-1 accuracy (%); with class
    names in ``dataset_meta``, also ``acc_<class>`` for each class present. The per-class
    accuracies are logged.

    The prediction of a sample is the argmax of ``pred_score`` when it has one, else
    ``pred_label``. The number of classes is that of ``dataset_meta['classes']``, else the
    length of the scores (or the largest label + 1).

    Args:
        per_class_keys (bool): add the ``acc_<class>`` keys. Defaults to True.
        collect_device (str): as ``BaseMetric``. Defaults to 'cpu'.
        prefix (str, optional): as ``BaseMetric``. Defaults to None.
    """

    def __init__(self, per_class_keys: bool = True, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.per_class_keys = per_class_keys

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            if isinstance(sample, BaseDataElement):
                sample = sample.to_dict()
            if sample.get('gt_label') is None:
                raise ValueError('ClsAccuracyMetric: a data sample has no gt_label')
            score = sample.get('pred_score')
            if score is not None:
                score = torch.as_tensor(score).reshape(-1)
                pred, num_scores = int(score.argmax().item()), score.numel()
            elif sample.get('pred_label') is not None:
                pred, num_scores = _int(sample['pred_label']), 0
            else:
                raise ValueError('ClsAccuracyMetric: a data sample has neither pred_score nor '
                                 'pred_label')
            self.results.append((pred, _int(sample['gt_label']), num_scores))

    def _class_names(self) -> Optional[List[str]]:
        meta = self.dataset_meta or {}
        return list(meta['classes']) if meta.get('classes') else None

    def compute_metrics(self, results: list) -> Dict[str, float]:
        preds, gts, num_scores = (np.asarray(v, dtype=np.int64) for v in zip(*results))
        names = self._class_names()
        if names is not None:
            num_classes = len(names)
        else:
            num_classes = int(max(num_scores.max(), gts.max() + 1, preds.max() + 1))
        bad = gts[(gts < 0) | (gts >= num_classes)]
        if bad.size:
            raise ValueError(f'ClsAccuracyMetric: ground-truth label {int(bad[0])} is outside '
                             f'[0, {num_classes})')
        correct = np.bincount(gts[preds == gts], minlength=num_classes)
        per_class_total = np.bincount(gts, minlength=num_classes)
        present = np.flatnonzero(per_class_total)
        per_class = correct[present] / per_class_total[present] * 100
        metrics = dict(accuracy=float(correct.sum() / len(gts) * 100),
                       mean_class_accuracy=float(per_class.mean()))
        names = names or [str(c) for c in range(num_classes)]
        if self.per_class_keys and self._class_names() is not None:
            for c, acc in zip(present, per_class):
                metrics[f'acc_{names[c]}'] = float(acc)
        table = ', '.join(f'{names[c]}: {acc:.2f} ({per_class_total[c]})'
                          for c, acc in zip(present, per_class))
        print_log(f'per-class top-1 accuracy (%) (samples): {table}',
                  MMLogger.get_current_instance())
        return metrics
