# Copyright (c) mmuda contributors. All rights reserved.
"""MinEnt (Vu et al., CVPR 2019): direct entropy minimisation on the target."""
from typing import Optional

import torch
from mmengine.optim import OptimWrapper

from mmuda.models.utils.adversarial import entropy_loss
from mmuda.models.utils.seg_losses import segmentor_heads, segmentor_logits
from mmuda.registry import MODELS
from .base import UDABase
from .teacher import PSEUDO_LABEL_DEFAULTS, TeacherPseudoLabels


@MODELS.register_module()
class MinEnt(TeacherPseudoLabels, UDABase):
    """Source segmentation losses plus ``lambda_ent[level]`` x the mean normalised entropy of
    the target soft-max maps of each level (ADVENT's ``train_minent``): two backward passes,
    one optimizer step, no discriminator.

    Args:
        model (dict): the student segmentor.
        mic (dict, optional): :class:`~mmuda.models.uda.mic.MaskedImageConsistency`
            arguments: MIC with its own EMA teacher after the entropy pass, as the reference's
            MinEnt (needs ``EMATeacherHook`` and ``MaskingHook``).
        train_cfg (dict): ``lambda_ent`` (dict level -> weight; ADVENT: decode 1e-3,
            aux 2e-4), ``seed``, and with ``mic`` the pseudo-label keys of
            :class:`~mmuda.models.uda.teacher.TeacherPseudoLabels`.
    """

    def __init__(self, model: dict, mic: Optional[dict] = None,
                 train_cfg: Optional[dict] = None, **kwargs):
        cfg = self.checked_train_cfg(train_cfg, dict(
            PSEUDO_LABEL_DEFAULTS, lambda_ent=dict(decode=1e-3, aux=2e-4), seed=0))
        super().__init__(model, teacher=mic is not None, train_cfg=cfg, **kwargs)
        self.setup_mic(mic)
        unknown = set(cfg['lambda_ent']) - set(segmentor_heads(self.student))
        if unknown:
            raise KeyError(f'train_cfg.lambda_ent has level(s) {sorted(unknown)} but the '
                           f'segmentor has the heads {sorted(segmentor_heads(self.student))}')

    def pass_entropy(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        """Entropy of the target predictions, backward."""
        with optim_wrapper.optim_context(self):
            logits = segmentor_logits(self.student, state['tgt_img'])
            losses = {f'loss_ent_{level}': weight * entropy_loss(
                torch.softmax(logits[level].float(), dim=1))
                for level, weight in self.train_cfg['lambda_ent'].items()}
        return self.backward(losses, optim_wrapper, prefix='ent.')

    #: MIC's masked pass needs the teacher's pseudo-labels
    pass_dependencies = ('teacher', )

    def passes(self):
        names = ('source', 'entropy') + (('teacher', 'masked') if self.mic is not None else ())
        return [(name, getattr(self, f'pass_{name}')) for name in names]
