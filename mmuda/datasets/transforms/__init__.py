# Copyright (c) mmuda contributors. All rights reserved.
from .cls_transforms import PackClsInputs, RandomResizedCrop
from .loading import LoadSegAnnotations
from .pseudo_margins import MarkPseudoMargins, PackUDASegInputs
from .video import (CutBottomRows, LoadVideoFrames, PackVideoSegInputs,  # noqa: F401
                    VideoRandomFlip, VideoResize)

__all__ = ['LoadSegAnnotations', 'MarkPseudoMargins', 'PackClsInputs', 'PackUDASegInputs',
           'RandomResizedCrop']
