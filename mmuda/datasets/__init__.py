# Copyright (c) mmuda contributors. All rights reserved.
from .base_seg import CheckedSegDataset
from .synthetic import SyntheticSegDataset
from .transforms import LoadSegAnnotations

__all__ = ['CheckedSegDataset', 'SyntheticSegDataset', 'LoadSegAnnotations']
