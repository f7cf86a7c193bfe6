# Copyright (c) mmuda contributors. All rights reserved.
from .backbones import *  # noqa: F401,F403
from .decode_heads import *  # noqa: F401,F403
from .domain_heads import *  # noqa: F401,F403
from .tta import UDASegTTAModel
from .uda import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
from .wrappers import UDADistributedDataParallel

__all__ = ['UDADistributedDataParallel', 'UDASegTTAModel']
