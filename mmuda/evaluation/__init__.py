# Copyright (c) mmuda contributors. All rights reserved.
from .cls_metric import ClsAccuracyMetric
from .subset_iou_metric import SubsetIoUMetric

__all__ = ['ClsAccuracyMetric', 'SubsetIoUMetric']
