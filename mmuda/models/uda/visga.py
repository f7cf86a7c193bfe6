# Copyright (c) mmuda contributors. All rights reserved.
"""ViSGA (Rezaeianaran et al., ICCV 2021): visually similar group alignment. Built from the
paper (no code was released); every choice the paper leaves open is a ``train_cfg`` key and is
listed in configs/visga/README.md."""
from typing import Dict

import torch

from mmuda.registry import MODELS
from ..domain_heads.da_faster_heads import domain_loss
from ..utils.grouping import complete_linkage_groups, group_means
from .da_faster import DAFasterRCNN


@MODELS.register_module()
class ViSGA(DAFasterRCNN):
    """DA-Faster R-CNN whose instance level aligns *groups* of similar proposals.

    Per domain (or per image, ``cluster_per='image'``), the pooled RoI embeddings of the
    proposals are grouped by agglomerative clustering with cosine distance and complete
    linkage on the DETACHED embeddings, merging until a group would span more than ``tau``
    (or, ``num_groups``, to a fixed number of groups). Each group is represented by the MEAN
    of its members' (non-detached) embeddings; the representatives go through a gradient
    reversal layer and the group discriminator (``ins_da_head``, DA-Faster's instance
    classifier shape) with BCE. The image level is DA-Faster's. The paper's loss has no
    consistency term: ``cst_weight`` defaults to 0.

    Args:
        train_cfg (dict): DA-Faster's keys (``cst_weight`` default 0) and ``tau`` (0.5: the
            cosine-distance radius of a group), ``num_groups`` (None; an int selects the
            fixed-number ablation and needs ``tau=None``), ``cluster_per`` ('domain' or
            'image').
    """
    default_train_cfg = dict(DAFasterRCNN.default_train_cfg, cst_weight=0.0, tau=0.5,
                             num_groups=None, cluster_per='domain')
    #: timed inside the source/target passes (reported apart by the training benchmark)
    nested_sections = ('grouping', )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cfg = self.train_cfg
        # validate the stopping rule at build time, not at the first step
        complete_linkage_groups(torch.zeros(0, 1), cfg['tau'], cfg['num_groups'])
        if cfg['cluster_per'] not in ('domain', 'image'):
            raise ValueError(f"train_cfg.cluster_per must be 'domain' or 'image', got "
                             f"{cfg['cluster_per']!r}")
        if self.ins_da_head is None:
            raise ValueError('ViSGA needs ins_da_head (the group discriminator)')

    def instance_losses(self, feats, roi_feats: torch.Tensor, rois: torch.Tensor,
                        domain: torch.Tensor) -> Dict[str, torch.Tensor]:
        cfg = self.train_cfg
        emb = roi_feats.mean(dim=(2, 3)) if roi_feats.dim() == 4 else roi_feats
        image = rois[:, 0].long()
        roi_domain = domain[image]
        keys = image if cfg['cluster_per'] == 'image' else roi_domain
        reps, rep_domain = [], []
        clustered_sets = torch.unique(keys)
        with self.timed('grouping'):
            for key in clustered_sets:
                members = (keys == key).nonzero(as_tuple=True)[0]
                groups = complete_linkage_groups(emb[members].detach(), cfg['tau'],
                                                 cfg['num_groups'])
                reps.append(group_means(emb[members], groups))
                rep_domain.append(roi_domain[members[0]].repeat(reps[-1].shape[0]))
        reps = torch.cat(reps)
        logits = self.ins_da_head(reps)
        losses = dict(loss_da_ins=domain_loss(logits, torch.cat(rep_domain)) *
                      cfg['ins_weight'])
        # groups per clustered set, logged
        losses['da_groups'] = reps.new_tensor(reps.shape[0] / len(clustered_sets))
        if cfg['cst_weight']:
            losses['loss_da_cst'] = self.consistency_loss(feats, roi_feats, rois, len(domain))
        return losses
