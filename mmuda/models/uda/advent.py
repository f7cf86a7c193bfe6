# Copyright (c) mmuda contributors. All rights reserved.
"""ADVENT (Vu et al., CVPR 2019): adversarial entropy minimisation."""
import torch

from mmuda.models.utils.adversarial import self_information
from mmuda.registry import MODELS
from .adversarial import AdversarialUDA


@MODELS.register_module()
class AdvEnt(AdversarialUDA):
    """Discriminators judge the weighted self-information maps ``-p log2 p / log2 C`` of the
    main and auxiliary outputs, so that target predictions get source-like (low) entropy;
    see :class:`AdversarialUDA` for the step (ADVENT's ``train_advent``)."""

    def discriminator_input(self, logits: torch.Tensor) -> torch.Tensor:
        # float32: log2(p + 1e-30) underflows in half precision
        return self_information(torch.softmax(logits.float(), dim=1))
