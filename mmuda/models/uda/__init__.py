# Copyright (c) mmuda contributors. All rights reserved.
from .adaptsegnet import AdaptSegNet
from .adversarial import AdversarialUDA
from .advent import AdvEnt
from .base import UDABase
from .cossim import CosSim
from .da_faster import DAFasterRCNN
from .dacs import DACS
from .davsn import DAVSN
from .mic import MaskedImageConsistency
from .mic_cls import MICCls
from .mic_det import DetMaskedImageConsistency
from .minent import MinEnt
from .sdat import SDAT
from .t2sda import T2SDA
from .tps import TPS
from .visga import ViSGA

__all__ = ['UDABase', 'AdversarialUDA', 'AdaptSegNet', 'AdvEnt', 'MinEnt', 'CosSim', 'DACS',
           'DAVSN', 'SDAT', 'T2SDA', 'TPS', 'DAFasterRCNN', 'MaskedImageConsistency',
           'DetMaskedImageConsistency', 'MICCls', 'ViSGA']
