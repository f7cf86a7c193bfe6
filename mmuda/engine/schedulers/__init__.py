# Copyright (c) mmuda contributors. All rights reserved.
from .inverse_decay import InverseDecayLR, InverseDecayParamScheduler

__all__ = ['InverseDecayLR', 'InverseDecayParamScheduler']
