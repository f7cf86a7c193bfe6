# Copyright (c) mmuda contributors. All rights reserved.
"""DAFormer self-training (DACS-style), optionally with MIC."""
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmseg.models.utils import resize

from mmuda.models.utils.augmentation import strong_augment
from mmuda.models.utils.classmix import class_mix_masks, one_mix
from mmuda.models.utils.seg_losses import segmentor_loss, stack_labels, with_labels
from mmuda.registry import MODELS
from .base import UDABase
from .mic import MaskedImageConsistency


def downscale_label_ratio(label: torch.Tensor, scale: int, min_ratio: float,
                          num_classes: int, ignore_index: int = 255) -> torch.Tensor:
    """Majority class of each ``scale`` x ``scale`` cell of a (B, H, W) label map, or
    ``ignore_index`` where it covers less than ``min_ratio`` of the cell (DAFormer FD)."""
    out = label.clone()
    out[out == ignore_index] = num_classes
    onehot = F.one_hot(out, num_classes + 1).permute(0, 3, 1, 2).float()
    ratio, cls = F.avg_pool2d(onehot, kernel_size=scale).max(dim=1)
    cls[cls == num_classes] = ignore_index
    cls[ratio < min_ratio] = ignore_index
    return cls


@MODELS.register_module()
class DACS(UDABase):
    """DAFormer's self-training: an EMA teacher pseudo-labels the target, source classes are
    pasted onto it (ClassMix) and the student learns from the mix; optionally ImageNet feature
    distance (FD) on thing classes and MIC.

    One iteration (several backward passes, one optimizer step; the EMA teacher is updated
    before it by :class:`EMATeacherHook`):

    1. source: student cross-entropy on the source batch (+ FD), backward;
    2. pseudo-labels: teacher on the un-augmented target, argmax of the softmax; ONE scalar
       weight per batch, the share of pixels with max probability >= ``pseudo_threshold``,
       zeroed in the crop margins ``pseudo_weight_ignore``;
    3. ClassMix with batch-level class choice; strong augmentation (colour jitter p = 0.8,
       blur p = 0.5) in de-normalised space; weight 1 on pasted pixels;
    4. mixed: weighted cross-entropy, backward;
    5. MIC (if ``mic`` is set): masked target consistency with the step-2 pseudo-labels,
       backward.

    Args:
        model (dict): the student segmentor (``mmseg.EncoderDecoder``).
        train_cfg (dict): ``pseudo_threshold`` (0.968), ``pseudo_weight_ignore``
            (dict(top, bottom, left, right) pixels, 0), ``color_jitter_strength`` (0.2),
            ``color_jitter_prob`` (0.8), ``blur`` (True), ``teacher_bn_train`` (True: the
            teacher predicts in train mode with dropout and drop-path off, as the reference),
            ``imnet_feature_dist`` (None or dict(lambda_=0.005, classes=[...],
            scale_min_ratio=0.75)), ``seed`` (0, for the per-iteration random generator).
        mic (dict, optional): :class:`MaskedImageConsistency` arguments; enables MIC (needs
            the ``MaskingHook``).
    """

    def __init__(self, model: dict, mic: Optional[dict] = None,
                 train_cfg: Optional[dict] = None, **kwargs):
        defaults = dict(pseudo_threshold=0.968, pseudo_weight_ignore=dict(),
                        color_jitter_strength=0.2, color_jitter_prob=0.8, blur=True,
                        teacher_bn_train=True, imnet_feature_dist=None, seed=0)
        cfg = self.checked_train_cfg(train_cfg, defaults)
        fd = cfg['imnet_feature_dist']
        super().__init__(model, teacher=True, imnet=fd is not None, train_cfg=cfg, **kwargs)
        if not 0 <= cfg['pseudo_threshold'] <= 1:
            raise ValueError(f'pseudo_threshold must be in [0, 1], got {cfg["pseudo_threshold"]}')
        margins = dict(top=0, bottom=0, left=0, right=0)
        bad = set(cfg['pseudo_weight_ignore']) - set(margins)
        if bad:
            raise KeyError(f'pseudo_weight_ignore keys must be among {sorted(margins)}, got '
                           f'{sorted(bad)}')
        self.margins = dict(margins, **cfg['pseudo_weight_ignore'])
        if fd is not None:
            self.fd_cfg = dict(dict(lambda_=0.005, classes=None, scale_min_ratio=0.75), **fd)
        self.mic = MaskedImageConsistency(**mic) if mic is not None else None
        self.num_classes = self.student.decode_head.num_classes
        self.ignore_index = self.student.decode_head.ignore_index
        self.register_pixel_stats()

    # ------------------------------------------------------------------ pieces
    def train(self, mode: bool = True):
        super().train(mode)
        if mode and self.train_cfg['teacher_bn_train']:
            # the reference predicts pseudo-labels with the teacher in train mode (batch
            # statistics in BN) but with dropout and drop-path off
            self.teacher.train()
            for m in self.teacher.modules():
                if isinstance(m, torch.nn.modules.dropout._DropoutNd) or \
                        type(m).__name__ == 'DropPath':
                    m.eval()
        return self

    @torch.no_grad()
    def pseudo_label(self, target_img: torch.Tensor, target_samples: List):
        """Teacher argmax and the scalar confidence weight (broadcast to (B, H, W)); zero in
        the crop margins and on batch padding."""
        head = self.teacher.decode_head
        logits = head.forward(self.teacher.extract_feat(target_img))
        logits = resize(logits, size=target_img.shape[2:], mode='bilinear',
                        align_corners=head.align_corners)
        prob, label = torch.softmax(logits.detach(), dim=1).max(dim=1)
        share = (prob >= self.train_cfg['pseudo_threshold']).float().mean()
        weight = share * torch.ones_like(prob)
        for i, sample in enumerate(target_samples):
            h, w = sample.metainfo.get('img_shape', weight.shape[1:])[:2]
            weight[i, h:, :] = 0
            weight[i, :, w:] = 0
        m = self.margins
        if m['top']:
            weight[:, :m['top'], :] = 0
        if m['bottom']:
            weight[:, weight.shape[1] - m['bottom']:, :] = 0
        if m['left']:
            weight[:, :, :m['left']] = 0
        if m['right']:
            weight[:, :, weight.shape[2] - m['right']:] = 0
        return label, weight

    def feature_distance(self, source_img: torch.Tensor, source_label: torch.Tensor,
                         source_feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """ImageNet feature distance on the last backbone stage, masked to thing classes."""
        with torch.no_grad():
            frozen = self.imnet.extract_feat(source_img)[-1].detach()
        feat = source_feats[-1]
        dist = torch.norm(feat - frozen, dim=1, p=2)  # (B, h, w)
        classes = self.fd_cfg['classes']
        if classes is not None:
            scale = source_label.shape[-1] // feat.shape[-1]
            cell = downscale_label_ratio(source_label, scale, self.fd_cfg['scale_min_ratio'],
                                         self.num_classes, self.ignore_index)
            mask = torch.isin(cell, torch.as_tensor(classes, device=cell.device))
            dist = dist[mask]
        # no thing pixel in the batch: mean of nothing -> nan in the reference; use zero
        return dist.mean() * self.fd_cfg['lambda_'] if dist.numel() else feat.sum() * 0

    def mix(self, source_img, source_label, target_img, pseudo_label, pseudo_weight,
            generator):
        """ClassMix + strong augmentation. Returns (image, label, weight)."""
        masks = class_mix_masks(source_label, generator)
        mask = torch.stack(masks).to(source_img.device)  # (B, 1, H, W)
        img = one_mix(mask, source_img, target_img)
        label = one_mix(mask[:, 0], source_label, pseudo_label).long()
        weight = one_mix(mask[:, 0], torch.ones_like(pseudo_weight), pseudo_weight)
        # the reference augments each mixed image in its own call: the order of the colour
        # operations and the blur sigma are drawn per image
        img = strong_augment(img, self.mean, self.std,
                             self.train_cfg['color_jitter_strength'],
                             self.train_cfg['color_jitter_prob'], self.train_cfg['blur'],
                             per_image=True, generator=generator)
        return img, label, weight

    # ------------------------------------------------------------------ the passes
    def pass_source(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        """Source cross-entropy (+ ImageNet feature distance), one backward."""
        with optim_wrapper.optim_context(self):
            losses, feats = segmentor_loss(self.student, state['src_img'], state['src_samples'])
            if self.imnet is not None:
                losses['loss_imnet_feat_dist'] = self.feature_distance(
                    state['src_img'], state['src_label'], feats)
        return self.backward(losses, optim_wrapper, prefix='src.')

    def pass_teacher(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        """Pseudo-labels and their weight from the teacher (into ``state``)."""
        with optim_wrapper.optim_context(self):
            state['pseudo_label'], state['pseudo_weight'] = self.pseudo_label(
                state['tgt_img'], state['tgt_samples'])
        return dict(pseudo_weight=state['pseudo_weight'].mean().detach())

    def pass_mix(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        """ClassMix + strong augmentation, weighted cross-entropy on the mix, one backward."""
        img, label, weight = self.mix(state['src_img'], state['src_label'], state['tgt_img'],
                                      state['pseudo_label'], state['pseudo_weight'],
                                      state['generator'])
        state.update(mixed_img=img, mixed_label=label)
        with optim_wrapper.optim_context(self):
            losses, _ = segmentor_loss(self.student, img,
                                       with_labels(state['src_samples'], label), weight)
        return self.backward(losses, optim_wrapper, prefix='mix.')

    def pass_masked(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        """MIC on masked images, one backward."""
        with optim_wrapper.optim_context(self):
            losses, state['masked_img'] = self.mic.loss(
                self.student, state['src_img'], state['src_samples'], state['tgt_img'],
                state['pseudo_label'], state['pseudo_weight'], self.mask_source, self.mean,
                self.std, state['generator'])
        return self.backward(losses, optim_wrapper, prefix='masked.')

    def required_hooks(self):
        return super().required_hooks() + (('MaskingHook', ) if self.mic is not None else ())

    #: the mix and masked passes need the teacher's pseudo-labels
    pass_dependencies = ('teacher', )

    def passes(self):
        """The passes of one step, in order."""
        names = ['source', 'teacher', 'mix'] + (['masked'] if self.mic is not None else [])
        return [(name, getattr(self, f'pass_{name}')) for name in names]

    def make_state(self, inputs, data_samples) -> dict:
        state = super().make_state(inputs, data_samples)
        state['src_label'] = stack_labels(data_samples['source'])
        return state
