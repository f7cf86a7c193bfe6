# Copyright (c) mmuda contributors. All rights reserved.
"""MIC for image classification (Hoyer et al., CVPR 2023), on SDAT."""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper

from mmuda.models.utils.augmentation import strong_augment
from mmuda.registry import MODELS
from .sdat import SDAT, SDAT_DEFAULTS
from .teacher import teacher_train_mode

#: train_cfg keys MIC adds to SDAT's, with the reference's values
MIC_CLS_DEFAULTS = dict(
    SDAT_DEFAULTS,
    pseudo_label_weight='prob',  # 'prob': CE weighted by the teacher's max probability; None
    weight_second_pass=False,  # the reference weights the masked CE in the first pass only
    color_jitter_strength=0.2,
    color_jitter_prob=0.8,  # the reference jitters when U(0, 1) > 0.2
    blur=True,
    blur_prob=0.5,
    augment_per_run=True)  # the reference draws jitter / blur on or off once per run


@MODELS.register_module()
class MICCls(SDAT):
    """Masked image consistency on SDAT, as the reference's ``cdan_mcc_sdat_masking.py``.

    One iteration (the EMA teacher is updated before it by :class:`~mmuda.engine.
    EMATeacherHook`, alpha 0.9 ramped as ``min(1 - 1 / (t + 1), alpha)``; the masks come from
    :class:`~mmuda.engine.MaskingHook`, block 64 and ratio 0.7 at 224 x 224):

    1. ``teacher``: on the un-augmented target batch, the teacher (train mode: BN on batch
       statistics; dropout and drop-path off) gives the pseudo-label ``argmax p`` and its
       weight ``max p``; the masked target is made once: colour jitter and blur
       (``strong_augment`` on the RGB view), then the block mask;
    2. ``ascent``: SDAT's first pass + ``mean(w x CE(student(masked), pseudo-label))``
       (a separate forward of the masked batch); SAM ascends;
    3. ``adapt``: SDAT's second pass with ``CE(student(masked), pseudo-label)`` among the
       transfer losses (times ``trade_off``), unweighted as the reference
       (``weight_second_pass=True`` weights it as in the first pass).

    With ``augment_per_run`` (the reference) whether the masked batches are jittered
    (probability ``color_jitter_prob``) and blurred (``blur_prob``) is drawn once, when the
    model is built (saved in the checkpoint); otherwise it is drawn for each batch.

    Args:
        model (dict): the student classifier.
        discriminator (dict, optional): as :class:`SDAT`.
        train_cfg (dict): :data:`MIC_CLS_DEFAULTS` keys.
    """
    defaults = MIC_CLS_DEFAULTS
    pass_dependencies = ('teacher', )

    def __init__(self, model: dict, train_cfg: Optional[dict] = None, **kwargs):
        kwargs.setdefault('teacher', True)
        if not kwargs['teacher']:
            raise ValueError('MICCls needs its EMA teacher (teacher=True)')
        super().__init__(model, train_cfg=train_cfg, **kwargs)
        if self.train_cfg['pseudo_label_weight'] not in ('prob', None):
            raise ValueError(f"train_cfg.pseudo_label_weight must be 'prob' or None, got "
                             f"{self.train_cfg['pseudo_label_weight']!r}")
        self.register_pixel_stats()
        cfg = self.train_cfg
        draws = torch.rand(2)
        self.register_buffer('run_augment', torch.stack([
            draws[0] < cfg['color_jitter_prob'], draws[1] < cfg['blur_prob']]))

    def train(self, mode: bool = True):
        super().train(mode)
        if mode and self.teacher is not None:
            teacher_train_mode(self.teacher)
        return self

    def required_hooks(self):
        return super().required_hooks() + ('MaskingHook', )

    @torch.no_grad()
    def masked_target(self, img: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        cfg = self.train_cfg
        if cfg['augment_per_run']:
            jitter_prob, blur_prob = (float(on) for on in self.run_augment)
        else:
            jitter_prob, blur_prob = cfg['color_jitter_prob'], cfg['blur_prob']
        img = strong_augment(img, self.mean, self.std,
                             color_jitter_strength=cfg['color_jitter_strength'],
                             color_jitter_prob=jitter_prob, blur=cfg['blur'],
                             blur_prob=blur_prob, generator=generator, bgr=self.bgr_inputs)
        batch, _, height, width = img.shape
        return img * self.mask_source(batch, height, width, img.device).to(img.dtype)

    def pass_teacher(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        """Pseudo-labels of the clean target batch and the masked target batch."""
        wrapper = self.main_optim_wrapper(optim_wrapper)
        with torch.no_grad(), wrapper.optim_context(self):
            logits, _ = self.teacher.forward_features(state['tgt_img'])
            prob, state['pseudo_label'] = torch.softmax(logits.float(), dim=1).max(dim=1)
        state['pseudo_weight'] = prob if self.train_cfg['pseudo_label_weight'] == 'prob' \
            else torch.ones_like(prob)
        state['masked_img'] = self.masked_target(state['tgt_img'], state['generator'])
        return {'teacher.pseudo_weight': state['pseudo_weight'].mean()}

    def extra_losses(self, state: dict, stage: str) -> Dict[str, torch.Tensor]:
        logits, _ = self.student.forward_features(state['masked_img'])
        ce = F.cross_entropy(logits, state['pseudo_label'], reduction='none')
        if stage == 'ascent' or self.train_cfg['weight_second_pass']:
            ce = state['pseudo_weight'] * ce
        return dict(loss_masked=ce.mean())

    def passes(self) -> List:
        return [('teacher', self.pass_teacher)] + super().passes()
