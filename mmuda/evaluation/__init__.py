# Copyright (c) mmuda contributors. All rights reserved.
from .subset_iou_metric import SubsetIoUMetric

__all__ = ['SubsetIoUMetric']
