# Copyright (c) mmuda contributors. All rights reserved.
"""Segmentation losses of an mmseg ``EncoderDecoder`` with per-pixel weights.

mmseg 1.x decode heads compute their loss from data samples with no per-pixel weight; UDA
self-training needs one (the pseudo-label confidence). These helpers run the head's own
forward and its own configured loss modules, passing ``weight``, for the decode head and any
auxiliary heads, and return the backbone features too (for feature distance).

A segmentor that trains or predicts differently from a plain ``EncoderDecoder`` (HRDA's
multi-resolution one) provides ``weighted_loss(inputs, data_samples, weight, generator,
logits)`` and ``dense_logits(inputs)``; :func:`segmentor_loss` and :func:`decode_logits` use
them, so every UDA method built on these helpers trains it unchanged.
"""
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.structures import PixelData
from mmseg.models.utils import resize
from mmseg.structures import SegDataSample
from mmseg.utils import add_prefix


def head_loss(head, feats, data_samples: List[SegDataSample],
              weight: Optional[torch.Tensor] = None,
              seg_logits: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
    """``head.loss`` with an optional (B, H, W) pixel weight on every loss term (on
    ``seg_logits`` when the head's output is already computed)."""
    if seg_logits is None:
        seg_logits = head.forward(feats)
    seg_label = head._stack_batch_gt(data_samples)
    seg_logits = resize(seg_logits, size=seg_label.shape[2:], mode='bilinear',
                        align_corners=head.align_corners)
    seg_label = seg_label.squeeze(1)
    if weight is None and head.sampler is not None:
        weight = head.sampler.sample(seg_logits, seg_label)
    losses = {}
    losses_decode = head.loss_decode if isinstance(head.loss_decode, torch.nn.ModuleList) \
        else [head.loss_decode]
    for loss_decode in losses_decode:
        value = loss_decode(seg_logits, seg_label, weight=weight, ignore_index=head.ignore_index)
        losses[loss_decode.loss_name] = losses.get(loss_decode.loss_name, 0) + value
    from mmseg.models.losses import accuracy
    losses['acc_seg'] = accuracy(seg_logits, seg_label, ignore_index=head.ignore_index)
    return losses


def segmentor_heads(segmentor) -> Dict[str, torch.nn.Module]:
    """The heads of an mmseg segmentor by their loss prefix: ``decode`` and, if any, ``aux``
    (``aux_0``, ``aux_1``, ... for a list of auxiliary heads)."""
    heads = {'decode': segmentor.decode_head}
    if getattr(segmentor, 'with_auxiliary_head', False):
        aux = segmentor.auxiliary_head
        aux = list(aux) if isinstance(aux, torch.nn.ModuleList) else [aux]
        heads.update({f'aux_{i}' if len(aux) > 1 else 'aux': h for i, h in enumerate(aux)})
    return heads


def segmentor_logits(segmentor, inputs: torch.Tensor,
                     feats: Optional[List[torch.Tensor]] = None) -> Dict[str, torch.Tensor]:
    """Each head's logits (see :func:`segmentor_heads`), bilinearly up-sampled to the input
    size, as AdaptSegNet/ADVENT's ``interp`` before the soft-max."""
    feats = segmentor.extract_feat(inputs) if feats is None else feats
    return {name: resize(head.forward(feats), size=inputs.shape[2:], mode='bilinear',
                         align_corners=head.align_corners)
            for name, head in segmentor_heads(segmentor).items()}


def decode_logits(segmentor, inputs: torch.Tensor) -> torch.Tensor:
    """The decode head's logits of ``inputs`` (not up-sampled), as a teacher predicts
    pseudo-labels: ``segmentor.dense_logits`` where defined (HRDA: context + sliding detail
    windows, fused), else the decode head on ``extract_feat``."""
    if hasattr(segmentor, 'dense_logits'):
        return segmentor.dense_logits(inputs)
    return segmentor.decode_head.forward(segmentor.extract_feat(inputs))


def segmentor_loss(segmentor, inputs: torch.Tensor, data_samples: List[SegDataSample],
                   weight: Optional[torch.Tensor] = None,
                   logits: Optional[Dict[str, torch.Tensor]] = None,
                   generator: Optional[torch.Generator] = None
                   ) -> Tuple[Dict[str, torch.Tensor], List[torch.Tensor]]:
    """The losses of ``segmentor.loss`` (decode + auxiliary heads) with a pixel weight, and
    the backbone features ``segmentor.extract_feat`` computed on the way. A dict passed as
    ``logits`` receives each head's raw logits (by the names of :func:`segmentor_heads`).
    ``generator`` drives any random choice of the segmentor's own (HRDA's detail crop)."""
    if hasattr(segmentor, 'weighted_loss'):
        losses, feats = segmentor.weighted_loss(inputs, data_samples, weight,
                                                generator=generator, logits=logits)
        return add_prefix(losses, 'decode'), feats
    feats = segmentor.extract_feat(inputs)
    losses = {}
    for name, head in segmentor_heads(segmentor).items():
        seg_logits = head.forward(feats)
        if logits is not None:
            logits[name] = seg_logits
        losses.update(add_prefix(head_loss(head, feats, data_samples, weight, seg_logits),
                                 name))
    return losses, feats


def with_labels(data_samples: List[SegDataSample], labels: torch.Tensor) -> List[SegDataSample]:
    """Copies of ``data_samples`` whose ``gt_sem_seg`` is replaced by ``labels`` (B, H, W)."""
    out = []
    for sample, label in zip(data_samples, labels):
        new = SegDataSample(metainfo=sample.metainfo)
        new.gt_sem_seg = PixelData(data=label.unsqueeze(0).long())
        out.append(new)
    return out


def stack_labels(data_samples: List[SegDataSample]) -> torch.Tensor:
    """The (B, H, W) ground-truth labels of a batch."""
    return torch.stack([s.gt_sem_seg.data[0] for s in data_samples])
