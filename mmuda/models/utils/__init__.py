# Copyright (c) mmuda contributors. All rights reserved.
from .grl import GradientReversal, GradientScale, scale_gradient
from .masking import BlockMaskGenerator

__all__ = ['BlockMaskGenerator', 'GradientReversal', 'GradientScale', 'scale_gradient']
