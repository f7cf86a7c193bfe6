# Copyright (c) mmuda contributors. All rights reserved.
"""CDAN's conditional domain discriminator (Long et al., NeurIPS 2018)."""
import math
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmuda.models.utils.cls_losses import prediction_entropy
from mmuda.models.utils.grl import scale_gradient, warm_start_coefficient
from mmuda.registry import MODELS


@MODELS.register_module()
class ConditionalDomainDiscriminator(nn.Module):
    """Judges the domain of ``f (x) g``, the multilinear map of a feature ``f`` (B, D) and the
    classifier's soft-max ``g`` (B, C) (detached), behind a warm-start gradient reversal.

    As thuml's ``ConditionalDomainAdversarialLoss`` with its ``DomainDiscriminator``:

    - map: the flattened outer product ``g f^T`` (C x D inputs) or, with ``randomized``,
      ``(f R_f) * (g R_g) / sqrt(d)`` with fixed Gaussian ``R_f`` (D x d), ``R_g`` (C x d);
    - gradient reversal with the weight :func:`~mmuda.models.utils.grl.warm_start_coefficient`
      of the training iteration (``grl`` keys: alpha, lo, hi, max_iters; the reference's
      layer counts its own calls, one per iteration);
    - discriminator: Linear(hidden) - BN - ReLU - Linear(hidden) - BN - ReLU - Linear(1);
    - loss: binary cross-entropy, source 1, target 0 (on logits: the reference's sigmoid + BCE
      without its clamp), with ``entropy_conditioning`` weights ``1 + exp(-H(g))`` normalised
      to sum to the batch size.

    Args:
        features_dim (int): D, the feature width (the classifier's bottleneck).
        num_classes (int): C.
        hidden_dim (int): discriminator width. Defaults to 1024.
        randomized (bool): the randomised multilinear map. Defaults to False (SDAT, MIC).
        randomized_dim (int): d. Defaults to 1024.
        entropy_conditioning (bool): weight samples by certainty. Defaults to False (SDAT).
        grl (dict): warm-start schedule. Defaults to alpha 1, lo 0, hi 1, max_iters 1000.
    """

    def __init__(self, features_dim: int, num_classes: int, hidden_dim: int = 1024,
                 randomized: bool = False, randomized_dim: int = 1024,
                 entropy_conditioning: bool = False, grl: Optional[dict] = None):
        super().__init__()
        self.features_dim = int(features_dim)
        self.num_classes = int(num_classes)
        self.randomized = bool(randomized)
        self.entropy_conditioning = bool(entropy_conditioning)
        self.grl = dict(dict(alpha=1.0, lo=0.0, hi=1.0, max_iters=1000), **(grl or {}))
        unknown = set(self.grl) - {'alpha', 'lo', 'hi', 'max_iters'}
        if unknown:
            raise KeyError(f'grl keys must be among alpha, lo, hi, max_iters; got '
                           f'{sorted(unknown)}')
        if self.randomized:
            in_dim = int(randomized_dim)
            # fixed random projections, saved with the model so a resumed run keeps them
            self.register_buffer('rand_f', torch.randn(self.features_dim, in_dim))
            self.register_buffer('rand_g', torch.randn(self.num_classes, in_dim))
        else:
            in_dim = self.features_dim * self.num_classes
        self.layers = nn.Sequential(
            nn.Linear(in_dim, hidden_dim), nn.BatchNorm1d(hidden_dim), nn.ReLU(),
            nn.Linear(hidden_dim, hidden_dim), nn.BatchNorm1d(hidden_dim), nn.ReLU(),
            nn.Linear(hidden_dim, 1))

    def multilinear_map(self, feats: torch.Tensor, prob: torch.Tensor) -> torch.Tensor:
        if feats.shape[1] != self.features_dim or prob.shape[1] != self.num_classes:
            raise ValueError(
                f'{type(self).__name__} was built for features of width {self.features_dim} '
                f'and {self.num_classes} classes (features_dim, num_classes) but got '
                f'features {tuple(feats.shape)} and predictions {tuple(prob.shape)}')
        if self.randomized:
            return (feats @ self.rand_f.to(feats.dtype)) * (prob @ self.rand_g.to(prob.dtype)) \
                / math.sqrt(self.rand_f.shape[1])
        return torch.bmm(prob.unsqueeze(2), feats.unsqueeze(1)).flatten(1)

    def forward(self, source_feats: torch.Tensor, source_logits: torch.Tensor,
                target_feats: torch.Tensor, target_logits: torch.Tensor,
                iteration: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(loss, accuracy)``: the domain loss of one iteration (its gradient reaches the
        features reversed and the discriminator as it is) and the share of samples whose
        domain the discriminator gets right (detached, for the log)."""
        feats = torch.cat([source_feats, target_feats])
        prob = F.softmax(torch.cat([source_logits, target_logits]).float(), dim=1).detach()
        mapped = self.multilinear_map(feats.float(), prob)
        mapped = scale_gradient(mapped, -warm_start_coefficient(iteration, **self.grl))
        logits = self.layers(mapped).squeeze(1)
        labels = torch.cat([logits.new_ones(len(source_feats)),
                            logits.new_zeros(len(target_feats))])
        weight = None
        if self.entropy_conditioning:
            weight = 1 + torch.exp(-prediction_entropy(prob))
            weight = weight / weight.sum() * len(weight)
        loss = F.binary_cross_entropy_with_logits(logits.float(), labels, weight=weight)
        accuracy = ((logits.detach() > 0).float() == labels).float().mean()
        return loss, accuracy
