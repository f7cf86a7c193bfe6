# Copyright (c) mmuda contributors. All rights reserved.
"""Test-time augmentation around a UDA model (``tools/test.py --tta``)."""
from typing import List

import torch
from mmengine.model import BaseTTAModel
from mmseg.models import SegTTAModel

from mmuda.registry import MODELS
from .uda.base import UDABase


@MODELS.register_module()
class UDASegTTAModel(SegTTAModel):
    """mmseg's :class:`SegTTAModel` that also takes a UDA model (:class:`UDABase`).

    Each augmented view goes through the wrapped model's own ``test_step``: for a UDA model,
    its pre-processor in test mode (the student's) and the predict path of the evaluated
    network (the student, or the teacher with ``test_cfg=dict(model='teacher')``). mmseg
    merges the views (mean of their softmax) with the segmentor's ``out_channels`` and
    ``decode_head``, which a UDA model does not have: here they are the evaluated
    network's. A plain segmentor is merged as by mmseg. (Detection needs no such class:
    mmdet's ``DetTTAModel`` merges boxes without asking the model.)
    """

    def merge_preds(self, data_samples_list: List[List]) -> List:
        uda = self.module
        if not isinstance(uda, UDABase):
            return super().merge_preds(data_samples_list)
        # mmseg's merge reads self.module.out_channels / decode_head: the evaluated segmentor
        self._modules['module'] = uda.eval_model
        try:
            return super().merge_preds(data_samples_list)
        finally:
            self._modules['module'] = uda


@MODELS.register_module()
class ClsTTAModel(BaseTTAModel):
    """Test-time augmentation of an image classifier (or a UDA model around one): the class
    scores (soft-max) of the views are averaged, the label is their argmax."""

    def merge_preds(self, data_samples_list: List[List]) -> List:
        merged = []
        for views in data_samples_list:
            score = torch.stack([view.pred_score for view in views]).mean(dim=0)
            sample = views[0].new()
            sample.pred_score = score
            sample.pred_label = score.argmax()
            merged.append(sample)
        return merged
