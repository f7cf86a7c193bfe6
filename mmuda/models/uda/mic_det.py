# Copyright (c) mmuda contributors. All rights reserved.
"""Masked Image Consistency for detection (MIC, Hoyer et al. CVPR 2023, det/ of the reference):
a module that composes with a detection UDA method (DA-Faster R-CNN, ViSGA) or none."""
from typing import Callable, Dict, List, Optional, Tuple

import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmuda.models.utils.augmentation import strong_augment
from mmuda.models.utils.det_losses import (confidence_weighted_roi_loss,
                                           confidence_weighted_rpn_loss, train_proposal_cfg)
from .mic import scale_losses


class DetMaskedImageConsistency:
    """The detection MIC loss: the student, on a colour-jittered, blurred and block-masked
    target image, must find the boxes the EMA teacher finds on the complete image.

    - pseudo-boxes: the teacher (eval mode, its full test post-processing) on the un-masked
      target; boxes scoring >= ``pseudo_threshold`` are kept; images left without any box are
      skipped;
    - masked image: colour jitter and blur (:func:`strong_augment`), then the
      :class:`MaskingHook`'s block mask, multiplied into the normalised image;
    - losses: RPN objectness weighted by the student's ``sigmoid(objectness)`` (not
      detached, as the reference), RoI classification weighted by its detached max softmax,
      box regression off (weight 0), times ``mask_lambda``; no domain losses on the masked
      image.

    The teacher and the student see the same geometry, so no pseudo-box projection is needed
    (mmdet's semi-supervised detectors project boxes between differently augmented views).

    Args:
        pseudo_threshold (float): teacher score a pseudo-box needs. Defaults to 0.8.
        mask_lambda (float): weight of the MIC losses. Defaults to 1.
        color_jitter_strength, color_jitter_prob, blur: the augmentation of the masked image
            (as MIC for segmentation).
        detach_objectness_weight (bool): detach the RPN objectness weight (as the RoI
            classification weight is); the reference does not. Defaults to False.
        burn_in_iters (int): iterations trained without MIC first (the host method alone),
            as detection teacher-student methods do before trusting a teacher; the reference
            has none. Defaults to 0.
    """

    def __init__(self, pseudo_threshold: float = 0.8, mask_lambda: float = 1.0,
                 color_jitter_strength: float = 0.2, color_jitter_prob: float = 0.8,
                 blur: bool = True, detach_objectness_weight: bool = False,
                 burn_in_iters: int = 0):
        if not 0 <= pseudo_threshold <= 1:
            raise ValueError(f'mic.pseudo_threshold must be in [0, 1], got {pseudo_threshold}')
        self.pseudo_threshold = float(pseudo_threshold)
        self.mask_lambda = float(mask_lambda)
        self.detach_objectness_weight = bool(detach_objectness_weight)
        if int(burn_in_iters) < 0:
            raise ValueError(f'mic.burn_in_iters must be >= 0, got {burn_in_iters}')
        self.burn_in_iters = int(burn_in_iters)
        self.aug = dict(color_jitter_strength=color_jitter_strength,
                        color_jitter_prob=color_jitter_prob, blur=blur)

    @torch.no_grad()
    def pseudo_boxes(self, teacher, target_img: torch.Tensor,
                     target_samples: List) -> Tuple[List[int], List[DetDataSample]]:
        """Indices of the target images with at least one confident teacher box, and data
        samples holding those boxes as ``gt_instances`` (input-image coordinates)."""
        preds = teacher.predict(target_img, target_samples, rescale=False)
        keep, samples = [], []
        for i, (pred, sample) in enumerate(zip(preds, target_samples)):
            inst = pred.pred_instances
            confident = inst.scores >= self.pseudo_threshold
            if not bool(confident.any()):
                continue
            out = DetDataSample(metainfo=sample.metainfo)
            out.gt_instances = InstanceData(bboxes=inst.bboxes[confident].detach(),
                                            labels=inst.labels[confident])
            keep.append(i)
            samples.append(out)
        return keep, samples

    def loss(self, student, target_img: torch.Tensor, keep: List[int], samples: List,
             mask_source: Optional[Callable], mean: torch.Tensor, std: torch.Tensor,
             generator: Optional[torch.Generator] = None, bgr: bool = False
             ) -> Tuple[Dict[str, torch.Tensor], torch.Tensor]:
        """The MIC losses on the pseudo-labelled images ``keep`` and the masked images
        (``bgr``: the images are BGR, see :func:`strong_augment`)."""
        if mask_source is None:
            raise RuntimeError('MIC needs a mask each iteration: add dict(type="MaskingHook") '
                               'to custom_hooks')
        img = strong_augment(target_img[keep].clone(), mean, std, generator=generator,
                             bgr=bgr, **self.aug)
        mask = mask_source(img.shape[0], img.shape[2], img.shape[3], img.device)
        masked = img * mask.to(img.dtype)
        feats = student.extract_feat(masked)
        losses, proposals = confidence_weighted_rpn_loss(
            student.rpn_head, feats, samples, train_proposal_cfg(student),
            detach_weight=self.detach_objectness_weight)
        losses.update(confidence_weighted_roi_loss(student.roi_head, feats, proposals,
                                                   samples))
        return scale_losses(losses, self.mask_lambda), masked
