# Copyright (c) mmuda contributors. All rights reserved.
from .loading import LoadSegAnnotations
from .video import CutBottomRows, LoadVideoFrames  # noqa: F401

__all__ = ['LoadSegAnnotations']
