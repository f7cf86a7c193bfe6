# Copyright (c) mmuda contributors. All rights reserved.
from .accel import AccelSegmentor, FrameLogits

__all__ = ['AccelSegmentor', 'FrameLogits']
