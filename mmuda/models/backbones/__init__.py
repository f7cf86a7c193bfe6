# Copyright (c) mmuda contributors. All rights reserved.
from .deeplabv2_resnet import DeepLabV2ResNet

__all__ = ['DeepLabV2ResNet']
