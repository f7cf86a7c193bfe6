# Copyright (c) mmuda contributors. All rights reserved.
"""Masked Image Consistency (MIC, Hoyer et al. CVPR 2023) as a module that composes with a
host UDA method (DACS here; AdvEnt/MinEnt later)."""
from typing import Callable, Dict, List, Optional, Tuple

import torch

from mmuda.models.utils.augmentation import strong_augment
from mmuda.models.utils.seg_losses import segmentor_loss, stack_labels, with_labels

MASK_MODES = ('separate', 'separatesrc', 'separatetrg', 'separateaug', 'separatesrcaug',
              'separatetrgaug')


def scale_losses(losses: Dict, factor: float, prefix: str = '') -> Dict:
    """Multiply the loss terms (keys holding 'loss' and starting with ``prefix``; tensors or
    per-level lists of tensors) of a loss dict by ``factor``; other entries (accuracies, the
    losses of other heads) are left as they are."""
    if factor == 1:
        return losses
    return {k: ([x * factor for x in v] if isinstance(v, list) else v * factor)
            if 'loss' in k and k.startswith(prefix) else v for k, v in losses.items()}


class MaskedImageConsistency:
    """The MIC loss: the student, on a masked image, must predict the teacher's pseudo-label
    of the complete image.

    Pseudo-labels and their scalar weight are the host method's (its EMA teacher on the
    un-masked, un-mixed target image). The mask is the one the :class:`MaskingHook` handed to
    the model for this iteration (block mask multiplied into the *normalised* image).

    Args:
        mask_mode (str): which images are masked, as in the reference:
            'separatetrgaug' (default; GTA/SYNTHIA -> Cityscapes): the target batch, with
            fresh colour jitter and blur; 'separatetrg': the target batch without augmentation;
            'separate' / 'separateaug' (Cityscapes -> ACDC / Dark Zurich): ``[source[0],
            target[0]]`` with weights ``[1, q]``; 'separatesrc' / 'separatesrcaug': the source
            batch only (an ablation).
        mask_lambda (float): weight of the MIC loss of the decode head; auxiliary heads'
            losses on the masked images keep weight 1, as the reference (which scales
            ``decode.loss_seg`` only). Defaults to 1.
        color_jitter_strength, color_jitter_prob, blur: the augmentation of the '*aug' modes:
            one call on the masked batch as the reference (one order of the colour operations
            and one blur sigma for the batch, jitter factors per image).
    """

    def __init__(self, mask_mode: str = 'separatetrgaug', mask_lambda: float = 1.0,
                 color_jitter_strength: float = 0.2, color_jitter_prob: float = 0.8,
                 blur: bool = True):
        if mask_mode not in MASK_MODES:
            raise ValueError(f'mask_mode must be one of {MASK_MODES}, got {mask_mode!r}')
        self.mask_mode = mask_mode
        self.mask_lambda = float(mask_lambda)
        self.aug = dict(color_jitter_strength=color_jitter_strength,
                        color_jitter_prob=color_jitter_prob, blur=blur)

    def loss(self, student, source_img: torch.Tensor, source_samples: List,
             target_img: torch.Tensor, pseudo_label: torch.Tensor,
             pseudo_weight: torch.Tensor, mask_source: Optional[Callable],
             mean: torch.Tensor, std: torch.Tensor,
             generator: Optional[torch.Generator] = None, bgr: bool = False
             ) -> Tuple[Dict[str, torch.Tensor], torch.Tensor]:
        """The MIC losses and the masked images they were computed on (``bgr``: the images
        are BGR, see :func:`strong_augment`)."""
        if mask_source is None:
            raise RuntimeError('MIC needs a mask each iteration: add dict(type="MaskingHook") '
                               'to custom_hooks')
        mode = self.mask_mode
        if mode in ('separate', 'separateaug'):
            img = torch.stack([source_img[0], target_img[0]])
            labels = torch.stack([stack_labels(source_samples)[0], pseudo_label[0]])
            weight = torch.stack([torch.ones_like(pseudo_weight[0]), pseudo_weight[0]])
            samples = with_labels(source_samples[:1] * 2, labels)
        elif mode in ('separatesrc', 'separatesrcaug'):
            img, samples, weight = source_img, source_samples, None
        else:
            img, weight = target_img, pseudo_weight
            samples = with_labels(source_samples, pseudo_label)
        if mode.endswith('aug'):
            img = strong_augment(img.clone(), mean, std, generator=generator, bgr=bgr,
                                 **self.aug)
        mask = mask_source(img.shape[0], img.shape[2], img.shape[3], img.device)
        masked = img * mask.to(img.dtype)
        losses, _ = segmentor_loss(student, masked, samples, weight, generator=generator)
        losses = scale_losses(losses, self.mask_lambda, prefix='decode.')
        return losses, masked
