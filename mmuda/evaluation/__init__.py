# Copyright (c) mmuda contributors. All rights reserved.
from .cls_metric import ClsAccuracyMetric
from .subset_iou_metric import SubsetIoUMetric
from .test_server import ServerSubmissionMetric

__all__ = ['ClsAccuracyMetric', 'ServerSubmissionMetric', 'SubsetIoUMetric']
