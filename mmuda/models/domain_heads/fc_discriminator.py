# Copyright (c) mmuda contributors. All rights reserved.
"""The fully-convolutional discriminator of AdaptSegNet / ADVENT / DA-VSN."""
import torch
import torch.nn as nn

from mmuda.registry import MODELS


@MODELS.register_module()
class FCDiscriminator(nn.Module):
    """Five 4x4 stride-2 convolutions (``ndf``, 2, 4, 8 x ``ndf`` channels, then one logit per
    position), LeakyReLU(0.2) between them, no normalisation and no final activation, as
    AdaptSegNet's and ADVENT's ``get_fc_discriminator``.

    Args:
        in_channels (int): channels of the map it judges (the number of classes for the
            soft-max or self-information maps; 2 x classes for DA-VSN's spatio-temporal one).
        ndf (int): width of the first layer. Defaults to 64.
    """

    def __init__(self, in_channels: int, ndf: int = 64):
        super().__init__()
        widths = [in_channels, ndf, ndf * 2, ndf * 4, ndf * 8]
        layers = []
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            layers += [nn.Conv2d(c_in, c_out, 4, stride=2, padding=1),
                       nn.LeakyReLU(0.2, inplace=True)]
        layers.append(nn.Conv2d(widths[-1], 1, 4, stride=2, padding=1))
        self.layers = nn.Sequential(*layers)
        self.in_channels = in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'{type(self).__name__} was built for {self.in_channels}-channel maps '
                f'(in_channels) but got a tensor of shape {tuple(x.shape)}: set the '
                f"discriminator's in_channels to the number of channels it judges (the "
                f'number of classes for AdaptSegNet/AdvEnt)')
        return self.layers(x)
