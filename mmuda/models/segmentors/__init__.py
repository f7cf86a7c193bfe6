# Copyright (c) mmuda contributors. All rights reserved.
from .accel import AccelSegmentor, FrameLogits
from .hrda import HRDAEncoderDecoder
from .projected import ProjectedEncoderDecoder

__all__ = ['AccelSegmentor', 'FrameLogits', 'HRDAEncoderDecoder', 'ProjectedEncoderDecoder']
