# Copyright (c) mmuda contributors. All rights reserved.
"""Maximising cosine similarity between spatial features (Chung, Kim, Kwak, WACV 2022).

Only the paper's abstract could be read (no code was released): every choice it leaves open
is an argument here, with the choice and its reason in configs/cossim/README.md.
"""
from typing import Optional

from mmuda.registry import MODELS
from .adversarial import AdversarialUDA


@MODELS.register_module()
class CosSim(AdversarialUDA):
    """The cosine-similarity method on the source-only base: source cross-entropy plus the
    thresholded cosine-similarity loss between target features and the class-wise source
    dictionary (one optimizer). On an adversarial base: ``type='AdvEnt'`` or
    ``'AdaptSegNet'`` with the same ``cossim=dict(...)`` argument.

    Args:
        model (dict): the student segmentor.
        cossim (dict): :class:`mmuda.models.utils.CosineSimilarityAlignment` arguments
            (``num_classes`` is the segmentor's).
    """

    def __init__(self, model: dict, cossim: dict, train_cfg: Optional[dict] = None,
                 **kwargs):
        train_cfg = dict(train_cfg or {})
        if train_cfg.get('lambda_adv'):
            raise KeyError('CosSim is the source-only base: it has no discriminators '
                           "(train_cfg.lambda_adv); use type='AdvEnt' or 'AdaptSegNet' with "
                           'cossim=dict(...) for an adversarial base')
        train_cfg['lambda_adv'] = {}
        super().__init__(model, train_cfg=train_cfg, cossim=cossim, **kwargs)
