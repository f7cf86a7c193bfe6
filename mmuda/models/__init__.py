# Copyright (c) mmuda contributors. All rights reserved.
from .backbones import *  # noqa: F401,F403
from .classifiers import *  # noqa: F401,F403
from .data_preprocessor import VideoSegDataPreProcessor, stack_frames
from .decode_heads import *  # noqa: F401,F403
from .domain_heads import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403
from .tta import ClsTTAModel, UDASegTTAModel
from .uda import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
from .wrappers import UDADistributedDataParallel

__all__ = ['ClsTTAModel', 'UDADistributedDataParallel', 'UDASegTTAModel',
           'VideoSegDataPreProcessor',
           'stack_frames']
