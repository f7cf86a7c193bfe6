# Copyright (c) mmuda contributors. All rights reserved.
from .image_classifier import UDAImageClassifier

__all__ = ['UDAImageClassifier']
