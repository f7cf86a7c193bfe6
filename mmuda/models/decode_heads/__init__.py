# Copyright (c) mmuda contributors. All rights reserved.
from .daformer_head import DAFormerHead

__all__ = ['DAFormerHead']
