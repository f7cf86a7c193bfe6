# Copyright (c) mmuda contributors. All rights reserved.
from .hooks import *  # noqa: F401,F403
from .optim_constructor import UDAOptimWrapperConstructor
from .optimizers import *  # noqa: F401,F403
from .schedulers import *  # noqa: F401,F403

__all__ = ['UDAOptimWrapperConstructor']
