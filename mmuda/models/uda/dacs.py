# Copyright (c) mmuda contributors. All rights reserved.
"""DAFormer self-training (DACS-style), optionally with MIC."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper

from mmuda.models.utils.augmentation import strong_augment
from mmuda.models.utils.classmix import class_mix_masks, one_mix
from mmuda.models.utils.seg_losses import segmentor_loss, stack_labels, with_labels
from mmuda.registry import MODELS
from .base import UDABase
from .mic import MaskedImageConsistency
from .teacher import PSEUDO_LABEL_DEFAULTS, TeacherPseudoLabels


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
class DACS(TeacherPseudoLabels, UDABase):
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
        defaults = dict(PSEUDO_LABEL_DEFAULTS, color_jitter_strength=0.2,
                        color_jitter_prob=0.8, blur=True, imnet_feature_dist=None, seed=0)
        cfg = self.checked_train_cfg(train_cfg, defaults)
        fd = cfg['imnet_feature_dist']
        super().__init__(model, teacher=True, imnet=fd is not None, train_cfg=cfg, **kwargs)
        self.setup_pseudo_labels()
        if fd is not None:
            self.fd_cfg = dict(dict(lambda_=0.005, classes=None, scale_min_ratio=0.75), **fd)
        self.mic = MaskedImageConsistency(**mic) if mic is not None else None
        self.num_classes = self.student.decode_head.num_classes
        self.ignore_index = self.student.decode_head.ignore_index
        self.register_pixel_stats()

    # ------------------------------------------------------------------ pieces
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
                             per_image=True, generator=generator, bgr=self.bgr_inputs)
        return img, label, weight

    # ------------------------------------------------------------------ the passes
    def pass_source(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        """Source cross-entropy (+ ImageNet feature distance), one backward."""
        with optim_wrapper.optim_context(self):
            losses, feats = segmentor_loss(self.student, state['src_img'], state['src_samples'],
                                           generator=state['generator'])
            if self.imnet is not None:
                losses['loss_imnet_feat_dist'] = self.feature_distance(
                    state['src_img'], state['src_label'], feats)
        return self.backward(losses, optim_wrapper, prefix='src.')

    def pass_mix(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        """ClassMix + strong augmentation, weighted cross-entropy on the mix, one backward."""
        img, label, weight = self.mix(state['src_img'], state['src_label'], state['tgt_img'],
                                      state['pseudo_label'], state['pseudo_weight'],
                                      state['generator'])
        state.update(mixed_img=img, mixed_label=label)
        with optim_wrapper.optim_context(self):
            losses, _ = segmentor_loss(self.student, img,
                                       with_labels(state['src_samples'], label), weight,
                                       generator=state['generator'])
        return self.backward(losses, optim_wrapper, prefix='mix.')

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
