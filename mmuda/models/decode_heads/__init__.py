# Copyright (c) mmuda contributors. All rights reserved.
from .daformer_head import DAFormerHead
from .deeplabv2_head import DeepLabV2Head
from .hrda_head import HRDAHead

__all__ = ['DAFormerHead', 'DeepLabV2Head', 'HRDAHead']
