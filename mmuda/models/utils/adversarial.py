# Copyright (c) mmuda contributors. All rights reserved.
"""Pieces of output-space adversarial training (AdaptSegNet, ADVENT, DA-VSN)."""
import contextlib
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

#: domain labels of the discriminators (AdaptSegNet/ADVENT: source 0, target 1)
SOURCE_LABEL = 0.
TARGET_LABEL = 1.


def bce_domain_loss(logits: torch.Tensor, label: float) -> torch.Tensor:
    """Mean BCE-with-logits of a discriminator's output against a constant domain label."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


def self_information(prob: torch.Tensor) -> torch.Tensor:
    """ADVENT's weighted self-information map: ``-p log2 p / log2 C`` per class channel
    (``prob``: (B, C, H, W) soft-max output); its channel sum is the normalised entropy."""
    return -prob * torch.log2(prob + 1e-30) / math.log2(prob.shape[1])


def entropy_loss(prob: torch.Tensor) -> torch.Tensor:
    """MinEnt: the mean over pixels of the normalised entropy ``sum_c -p log2 p / log2 C``."""
    return self_information(prob).sum(dim=1).mean()


@contextlib.contextmanager
def frozen(module: nn.Module):
    """Parameters of ``module`` take no gradient inside the block (the reference sets
    ``requires_grad = False`` on the discriminators during the generator's adversarial pass),
    and are restored to what they were afterwards."""
    params = list(module.parameters())
    before = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield module
    finally:
        for p, flag in zip(params, before):
            p.requires_grad_(flag)


def weight_discrepancy(first: nn.Module, second: nn.Module) -> torch.Tensor:
    """DA-VSN's discrepancy between two discriminators of the same design: the mean over
    their parameter tensors of ``cos(W_first, W_second) + 1`` (flattened tensors), which is
    0 when every pair points in opposite directions and 2 when they are equal."""
    terms = [F.cosine_similarity(w1.reshape(1, -1), w2.reshape(1, -1), eps=1e-12)[0] + 1
             for w1, w2 in zip(first.parameters(), second.parameters())]
    if not terms:
        raise ValueError('weight_discrepancy: the discriminators have no parameters')
    return torch.stack(terms).mean()
