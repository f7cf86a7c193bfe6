# Copyright (c) mmuda contributors. All rights reserved.
from .uda import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
from .wrappers import UDADistributedDataParallel

__all__ = ['UDADistributedDataParallel']
