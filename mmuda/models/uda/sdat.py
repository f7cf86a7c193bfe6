# Copyright (c) mmuda contributors. All rights reserved.
"""SDAT (Rangwani et al., ICML 2022): CDAN + MCC trained with sharpness-aware minimisation."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.optim import OptimWrapper

from mmuda.engine.optimizers import SAMMixin
from mmuda.models.utils.cls_losses import mcc_loss
from mmuda.registry import MODELS
from .base import UDABase

#: train_cfg keys of SDAT with the reference's values (ViT-B/16)
SDAT_DEFAULTS = dict(
    sam=True,  # two passes per step, with a SAMOptimWrapper for the classifier
    mcc_weight=1.0,  # 0: no MCC (CDAN alone)
    mcc_temperature=2.0,  # the reference: 2.0 for ViT-B/16, 3.0 for ResNet-101
    trade_off=1.0,  # weight of the transfer losses of the second pass
    seed=0)


@MODELS.register_module()
class SDAT(UDABase):
    """CDAN's conditional domain adversarial loss and MCC, with SAM (SDAT).

    One iteration, as the reference's ``cdan_mcc_sdat.py`` (source and target batches go
    through the classifier as ONE concatenated batch, so BN sees both):

    1. ``ascent`` (``sam=True`` only): ``CE(source) + mcc_weight x MCC(target)``; backward;
       the classifier's :class:`~mmuda.engine.SAMOptimWrapper` ascends to ``w + e(w)``;
    2. ``adapt``: at ``w + e(w)``, ``CE(source) + trade_off x (CDAN + mcc_weight x MCC)``;
       backward (the discriminator learns through the gradient reversal, the classifier
       against it);
    3. the classifier's optimizer restores ``w`` and steps with the second gradients, then the
       discriminator's optimizer steps (outside SAM).

    Switches give the baselines: ``sam=False`` (one pass, plain optimizer) is CDAN + MCC,
    with ``mcc_weight=0`` CDAN; ``discriminator=None`` drops CDAN (MCC alone).

    Args:
        model (dict): the student, a :class:`~mmuda.models.UDAImageClassifier`.
        discriminator (dict, optional): the
            :class:`~mmuda.models.ConditionalDomainDiscriminator` config; ``features_dim``
            and ``num_classes`` default to the student's.
        train_cfg (dict): :data:`SDAT_DEFAULTS` keys.
    """
    main_group = 'classifier'
    defaults = SDAT_DEFAULTS

    def __init__(self, model: dict,
                 discriminator: Optional[dict] = dict(type='ConditionalDomainDiscriminator'),
                 train_cfg: Optional[dict] = None, **kwargs):
        train_cfg = self.checked_train_cfg(train_cfg, self.defaults)
        super().__init__(model, train_cfg=train_cfg, **kwargs)
        for key in ('forward_features', 'features_dim', 'num_classes'):
            if not hasattr(self.student, key):
                raise TypeError(f'{type(self).__name__} needs a classifier with '
                                f'`{key}` (e.g. UDAImageClassifier), got '
                                f'{type(self.student).__name__}')
        self.discriminator = None
        if discriminator is not None:
            cfg = dict(discriminator)
            cfg.setdefault('features_dim', self.student.features_dim)
            cfg.setdefault('num_classes', self.student.num_classes)
            self.discriminator = MODELS.build(cfg)

    def optim_groups(self) -> Dict[str, nn.Module]:
        trainable = self.trainable_modules()
        if self.discriminator is None:
            return {self.main_group: trainable}
        del trainable['discriminator']
        return {self.main_group: trainable, 'discriminator': self.discriminator}

    # ------------------------------------------------------------------ the passes
    def make_state(self, inputs, data_samples) -> dict:
        state = super().make_state(inputs, data_samples)
        state['src_label'] = self.student.labels(state['src_samples'], state['src_img'].device)
        return state

    def classify(self, state: dict) -> Tuple[torch.Tensor, ...]:
        """Logits and features of the source and target batches, through the student as one
        batch: ``(src_logits, src_feats, tgt_logits, tgt_feats)``."""
        n = len(state['src_img'])
        logits, feats = self.student.forward_features(
            torch.cat([state['src_img'], state['tgt_img']]))
        return logits[:n], feats[:n], logits[n:], feats[n:]

    def extra_losses(self, state: dict, stage: str) -> Dict[str, torch.Tensor]:
        """Losses a subclass adds to the ``ascent`` pass (as they are) or to the ``adapt``
        pass (with the transfer losses, times ``trade_off``). None here."""
        return {}

    def sam_wrapper(self, optim_wrapper: OptimWrapper) -> OptimWrapper:
        wrapper = self.main_optim_wrapper(optim_wrapper)
        if not isinstance(wrapper, SAMMixin):
            raise TypeError(
                f"{type(self).__name__} with train_cfg.sam=True needs the classifier's "
                f"optimizer wrapper to be SAM: optim_wrapper.{self.main_group}.type="
                f"'SAMOptimWrapper' (got {type(wrapper).__name__}); or set "
                f'train_cfg.sam=False')
        return wrapper

    def pass_ascent(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        """SAM's first pass: source CE and target MCC at ``w``, then the ascent."""
        cfg = self.train_cfg
        wrapper = self.sam_wrapper(optim_wrapper)
        with wrapper.optim_context(self):
            src_logits, _, tgt_logits, _ = self.classify(state)
            losses = dict(loss_cls=F.cross_entropy(src_logits, state['src_label']))
            if cfg['mcc_weight']:
                losses['loss_mcc'] = cfg['mcc_weight'] * mcc_loss(tgt_logits,
                                                                  cfg['mcc_temperature'])
            losses.update(self.extra_losses(state, 'ascent'))
        log = self.backward(losses, wrapper, prefix='ascent.')
        wrapper.first_step()
        return log

    def pass_adapt(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        """Source CE and the transfer losses (CDAN, MCC), at ``w + e(w)`` with SAM."""
        cfg = self.train_cfg
        wrapper = self.main_optim_wrapper(optim_wrapper)
        log = {}
        with wrapper.optim_context(self):
            src_logits, src_feats, tgt_logits, tgt_feats = self.classify(state)
            losses = dict(loss_cls=F.cross_entropy(src_logits, state['src_label']))
            transfer = {}
            if self.discriminator is not None:
                transfer['loss_cdan'], log['adapt.domain_acc'] = self.discriminator(
                    src_feats, src_logits, tgt_feats, tgt_logits, int(self.local_iter))
            if cfg['mcc_weight']:
                transfer['loss_mcc'] = cfg['mcc_weight'] * mcc_loss(tgt_logits,
                                                                    cfg['mcc_temperature'])
            transfer.update(self.extra_losses(state, 'adapt'))
            losses.update({k: cfg['trade_off'] * v for k, v in transfer.items()})
        log.update(self.backward(losses, wrapper, prefix='adapt.'))
        return log

    def passes(self) -> List:
        adapt = [('adapt', self.pass_adapt)]
        return ([('ascent', self.pass_ascent)] if self.train_cfg['sam'] else []) + adapt

    def run_pass_alone(self, name, inputs, data_samples, optim_wrapper) -> None:
        super().run_pass_alone(name, inputs, data_samples, optim_wrapper)
        wrapper = self.main_optim_wrapper(optim_wrapper)
        if isinstance(wrapper, SAMMixin):  # no step follows: undo the ascent
            wrapper.restore()
