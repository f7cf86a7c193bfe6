# Copyright (c) mmuda contributors. All rights reserved.
"""DeepLab-v2's classifier (Chen et al., TPAMI 2018) as used by AdaptSegNet, ADVENT and DA-VSN.

The reference (valeoai/ADVENT ``advent/model/deeplabv2.py``, ``ClassifierModule``;
wasidennis/AdaptSegNet ``model/deeplab_multi.py``, ``Classifier_Module``) predicts the logits
with parallel 3x3 convolutions of dilation 6, 12, 18 and 24 (padding = dilation, with bias,
weights drawn from N(0, 0.01)) applied directly to one backbone feature map, and SUMS them. There
is no dropout, no normalisation, no activation and no 1x1 classifier after the sum. ADVENT
builds two: ``layer5`` on layer3 (1024 channels, auxiliary) and ``layer6`` on layer4 (2048
channels, main); the same class serves both here (``in_index`` 2 / 3).

Note: AdaptSegNet's released code returns from inside the summation loop, so its models use
only the first two branches (dilations 6 and 12; AdaptSegNet issues #4, #20). ADVENT (and
this head) sum all four.
"""
from typing import Sequence

import torch
import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead

from mmuda.registry import MODELS


@MODELS.register_module()
class DeepLabV2Head(BaseDecodeHead):
    """Sum of parallel dilated 3x3 convolutions from the input feature to the class logits.

    mmseg's ``BaseDecodeHead`` would append a dropout and a 1x1 ``conv_seg``; the reference has
    neither, so ``conv_seg`` is removed (an unused parameter would break DDP) and
    :meth:`cls_seg` is the identity: the summed branches already are the logits.

    Args:
        dilations (Sequence[int]): one branch per dilation (padding = dilation).
            Default: (6, 12, 18, 24), as the reference.
        **kwargs: mmseg ``BaseDecodeHead`` arguments: ``in_channels`` (int), ``in_index``
            (int), ``num_classes``, ``loss_decode``, ``align_corners``, ``ignore_index``, ...
            ``channels`` defaults to the number of output channels (the only width there is);
            ``dropout_ratio`` must be 0 (the default here); ``norm_cfg``/``act_cfg`` are
            accepted and unused. Weights are initialised in ``__init__`` as the reference
            (N(0, 0.01), PyTorch's default bias); ``init_cfg`` defaults to None.
    """

    def __init__(self, dilations: Sequence[int] = (6, 12, 18, 24), **kwargs):
        if 'input_transform' in kwargs and kwargs['input_transform'] is not None:
            raise ValueError('DeepLabV2Head takes one feature map (input_transform=None)')
        if kwargs.setdefault('dropout_ratio', 0.0) != 0:
            raise ValueError('DeepLabV2Head has no dropout (the reference has none): '
                             f'dropout_ratio must be 0, got {kwargs["dropout_ratio"]}')
        out_channels = kwargs.get('out_channels') or kwargs.get('num_classes')
        kwargs.setdefault('channels', out_channels)
        kwargs.setdefault('init_cfg', None)  # BaseDecodeHead's default targets conv_seg
        super().__init__(**kwargs)
        if self.channels != self.out_channels:
            raise ValueError('DeepLabV2Head predicts the logits directly: channels must equal '
                             f'the output channels ({self.out_channels}), got {self.channels}')
        if not dilations:
            raise ValueError('DeepLabV2Head needs at least one dilation')
        # no 1x1 classifier on top of the sum: drop the one BaseDecodeHead has built
        del self.conv_seg
        self.dilations = tuple(dilations)
        self.convs = nn.ModuleList(
            nn.Conv2d(self.in_channels, self.out_channels, kernel_size=3, stride=1,
                      padding=d, dilation=d, bias=True) for d in self.dilations)
        for conv in self.convs:
            nn.init.normal_(conv.weight, mean=0.0, std=0.01)

    def cls_seg(self, feat: torch.Tensor) -> torch.Tensor:
        """The identity: the summed dilated branches are the logits (no dropout, no
        ``conv_seg``)."""
        return feat

    def forward(self, inputs) -> torch.Tensor:
        x = self._transform_inputs(inputs)
        out = self.convs[0](x)
        for conv in self.convs[1:]:
            out = out + conv(x)
        return self.cls_seg(out)
