# Copyright (c) mmuda contributors. All rights reserved.
from .sam_optim_wrapper import AmpSAMOptimWrapper, SAMMixin, SAMOptimWrapper

__all__ = ['AmpSAMOptimWrapper', 'SAMMixin', 'SAMOptimWrapper']
