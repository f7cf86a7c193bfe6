# Copyright (c) mmuda contributors. All rights reserved.
"""The ResNet of DeepLab-v2 as AdaptSegNet / ADVENT / DA-VSN build it."""
import torch.nn as nn
from mmseg.models.backbones import ResNet

from mmuda.registry import MODELS


@MODELS.register_module()
class DeepLabV2ResNet(ResNet):
    """mmseg's ResNet with the stem max-pool of the reference (``ceil_mode=True``): a
    512 x 1024 input gives 65 x 129 features at output stride 8 (mmseg's pool: 64 x 128), so
    that converted reference weights give the reference's logits exactly. Every other
    argument is mmseg's ResNet's."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1, ceil_mode=True)
