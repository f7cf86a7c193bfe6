# Copyright (c) mmuda contributors. All rights reserved.
from .dataset import SyntheticSegDataset
from .scene import CLASSES, DEFAULT_STYLE, PALETTE, generate_scene, merge_style
from .writer import generate_domain

__all__ = ['SyntheticSegDataset', 'CLASSES', 'PALETTE', 'DEFAULT_STYLE', 'generate_scene',
           'merge_style', 'generate_domain']
