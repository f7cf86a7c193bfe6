# Copyright (c) mmuda contributors. All rights reserved.
from .base import UDABase
from .da_faster import DAFasterRCNN
from .dacs import DACS
from .mic import MaskedImageConsistency
from .mic_det import DetMaskedImageConsistency
from .visga import ViSGA

__all__ = ['UDABase', 'DACS', 'DAFasterRCNN', 'MaskedImageConsistency',
           'DetMaskedImageConsistency', 'ViSGA']
