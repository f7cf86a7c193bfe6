# Copyright (c) mmuda contributors. All rights reserved.
"""ClassMix (DACS): paste the pixels of half of the source classes onto target images."""
from typing import List, Optional

import torch


def class_mix_masks(labels: torch.Tensor,
                    generator: Optional[torch.Generator] = None) -> List[torch.Tensor]:
    """One (1, H, W) paste mask per image of a (B, 1, H, W) or (B, H, W) source label batch.

    As the reference: the candidate classes are those present in the labels of the WHOLE
    batch (``torch.unique`` over the batch, the ignore id included); for each image, a random
    ``(n + n % 2) / 2`` of them are chosen and that image's pixels of the chosen classes are
    pasted.
    """
    labels = labels.squeeze(1) if labels.dim() == 4 else labels
    classes = torch.unique(labels)
    n = classes.numel()
    k = (n + n % 2) // 2
    masks = []
    for label in labels:
        choice = classes[torch.randperm(n, generator=generator)[:k].to(classes.device)]
        masks.append(torch.isin(label, choice).unsqueeze(0))
    return masks


def one_mix(mask: torch.Tensor, foreground: torch.Tensor,
            background: torch.Tensor) -> torch.Tensor:
    """``mask * foreground + (1 - mask) * background`` with broadcasting (mask: 0/1)."""
    mask = mask.to(foreground.dtype)
    return mask * foreground + (1 - mask) * background
