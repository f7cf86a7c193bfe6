# Copyright (c) mmuda contributors. All rights reserved.
from .dataset import SyntheticDetDataset, SyntheticSegDataset, SyntheticVideoDataset
from .scene import CLASSES, DEFAULT_STYLE, DET_CLASSES, PALETTE, generate_scene, merge_style
from .video import DEFAULT_MOTION, ensure_video_domain, generate_clip
from .writer import generate_domain

__all__ = ['SyntheticSegDataset', 'SyntheticDetDataset', 'SyntheticVideoDataset', 'CLASSES',
           'PALETTE', 'DET_CLASSES',
           'DEFAULT_STYLE', 'generate_scene', 'merge_style', 'generate_domain',
           'DEFAULT_MOTION', 'ensure_video_domain', 'generate_clip']
from .classification import (CLS_CLASSES, SyntheticClsDataset, generate_cls_domain,  # noqa: E402
                             prepare_cls_domain)

__all__ += ['CLS_CLASSES', 'SyntheticClsDataset', 'generate_cls_domain', 'prepare_cls_domain']
