# Copyright (c) mmuda contributors. All rights reserved.
from .ema_teacher_hook import EMATeacherHook, ema_update
from .masking_hook import MaskingHook
from .uda_visualization_hook import UDAVisualizationHook

__all__ = ['EMATeacherHook', 'ema_update', 'MaskingHook', 'UDAVisualizationHook']
