# Copyright (c) mmuda contributors. All rights reserved.
from .divergence_hook import DivergenceHook
from .ema_teacher_hook import EMATeacherHook, ema_update
from .interrupt_hook import InterruptHook
from .masking_hook import MaskingHook
from .rng_state_hook import RNGStateHook
from .uda_visualization_hook import UDAVisualizationHook

__all__ = ['DivergenceHook', 'EMATeacherHook', 'ema_update', 'InterruptHook', 'MaskingHook',
           'RNGStateHook', 'UDAVisualizationHook']
