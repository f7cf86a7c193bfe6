# Copyright (c) mmuda contributors. All rights reserved.
"""Losses of classification UDA on logits: prediction entropy and minimum class confusion."""
import torch
import torch.nn.functional as F


def prediction_entropy(prob: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Per-sample entropy ``-sum_c p log(p + eps)`` of (B, C) probabilities (thuml's
    ``entropy``, with its ``eps``)."""
    return -(prob * torch.log(prob + eps)).sum(dim=1)


def mcc_loss(logits: torch.Tensor, temperature: float = 2.0) -> torch.Tensor:
    """Minimum class confusion (Jin et al., ECCV 2020) of target logits (B, C).

    ``p = softmax(logits / T)``; each sample weighted by ``1 + exp(-H(p))`` (detached),
    normalised to sum to B; the class confusion ``C = (w p)^T p`` normalised by its row sums
    (C is symmetric, so rows and columns agree); the loss is the off-diagonal mass over the
    number of classes: ``(sum(C) - trace(C)) / num_classes``. Computed in float32.
    """
    if temperature <= 0:
        raise ValueError(f'MCC temperature must be > 0, got {temperature}')
    batch, num_classes = logits.shape
    prob = F.softmax(logits.float() / temperature, dim=1)
    weight = 1 + torch.exp(-prediction_entropy(prob).detach())
    weight = (batch * weight / weight.sum()).unsqueeze(1)
    confusion = (prob * weight).t() @ prob
    confusion = confusion / confusion.sum(dim=1)
    return (confusion.sum() - confusion.trace()) / num_classes
