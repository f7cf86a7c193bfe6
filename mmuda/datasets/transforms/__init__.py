# Copyright (c) mmuda contributors. All rights reserved.
from .loading import LoadSegAnnotations

__all__ = ['LoadSegAnnotations']
