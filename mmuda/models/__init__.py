# Copyright (c) mmuda contributors. All rights reserved.
from .wrappers import UDADistributedDataParallel

__all__ = ['UDADistributedDataParallel']
