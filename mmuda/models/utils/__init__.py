# Copyright (c) mmuda contributors. All rights reserved.
from .masking import BlockMaskGenerator

__all__ = ['BlockMaskGenerator']
