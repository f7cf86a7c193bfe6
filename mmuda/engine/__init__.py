# Copyright (c) mmuda contributors. All rights reserved.
from .hooks import *  # noqa: F401,F403
from .optim_constructor import UDAOptimWrapperConstructor

__all__ = ['UDAOptimWrapperConstructor']
