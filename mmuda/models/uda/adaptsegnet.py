# Copyright (c) mmuda contributors. All rights reserved.
"""AdaptSegNet (Tsai et al., CVPR 2018): multi-level adversarial learning in output space."""
import torch

from mmuda.registry import MODELS
from .adversarial import AdversarialUDA


@MODELS.register_module()
class AdaptSegNet(AdversarialUDA):
    """Discriminators judge the soft-max segmentation maps of the main (``decode``) and
    auxiliary (``aux``) outputs; see :class:`AdversarialUDA` for the step. The reference's
    weights are ``lambda_adv=dict(decode=1e-3, aux=2e-4)`` (its ``lambda_adv_target2`` and
    ``lambda_adv_target1``)."""

    def discriminator_input(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.softmax(logits.float(), dim=1)
