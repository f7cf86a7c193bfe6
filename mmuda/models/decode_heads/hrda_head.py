# Copyright (c) mmuda contributors. All rights reserved.
"""HRDA's multi-resolution head (Hoyer et al., ECCV 2022): one segmentation head shared by a
low-resolution context crop and a high-resolution detail crop, fused by a learned, class-wise
scale attention predicted from the context features."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize

from mmuda.models.utils.seg_losses import head_loss, stack_labels, with_labels
from mmuda.registry import MODELS

#: (y1, y2, x1, x2) of the detail crop in input pixels
CropBox = Tuple[int, int, int, int]


def crop(x: torch.Tensor, box: CropBox) -> torch.Tensor:
    """``x[..., y1:y2, x1:x2]`` (images, logits, (B, H, W) labels and weights)."""
    y1, y2, x1, x2 = box
    return x[..., y1:y2, x1:x2]


def scale_box(box: CropBox, factor: float) -> CropBox:
    """``box`` divided by ``factor`` (input pixels -> logit cells); the crop coordinates are
    drawn divisible by the largest factor, so this is exact."""
    return tuple(int(v / factor) for v in box)


@MODELS.register_module()
class HRDAHead(BaseDecodeHead):
    """The shared head (``head``) and the scale-attention head (``scale_attention``), with the
    reference's module names, so the authors' checkpoints map key for key.

    ``fused = att * up(detail) + up((1 - att) * context)``, where ``att`` = sigmoid of the
    attention head on the context features, zero outside the detail crop during training. The
    training loss is ``(1 - hr_w - lr_w) * CE(fused) + hr_w * CE(detail, on its crop)
    [+ lr_w * CE((1 - att) * context)]``, each with the pixel weight of the caller.

    Args:
        single_scale_head (dict): config of the head applied at each scale (a DAFormerHead in
            the reference). Its ``num_classes``, ``in_channels``, ``channels``, ``in_index``,
            ``norm_cfg``, ``align_corners``, ``ignore_index`` and ``loss_decode`` are this
            head's too (the losses of the fused prediction use ``loss_decode``).
        attention_embed_dim (int): width of the attention head (256, the reference).
        attention_classwise (bool): one attention map per class (True, the reference) or one
            for all classes.
        hr_loss_weight (float): weight of the detail-crop loss (0.1, the reference).
        lr_loss_weight (float): weight of the context loss (0, the reference).
        fixed_attention (float, optional): a constant attention instead of the learned one
            (an ablation of the paper); no attention head is built.
    """

    #: arguments of the single-scale head that are this head's too
    shared_args = ('in_channels', 'channels', 'num_classes', 'in_index', 'norm_cfg',
                   'act_cfg', 'align_corners', 'ignore_index', 'loss_decode', 'dropout_ratio')

    def __init__(self, single_scale_head: dict, attention_embed_dim: int = 256,
                 attention_classwise: bool = True, hr_loss_weight: float = 0.1,
                 lr_loss_weight: float = 0.0, fixed_attention: Optional[float] = None,
                 init_cfg=None):
        head_cfg = copy.deepcopy(dict(single_scale_head))
        missing = [k for k in ('in_channels', 'channels', 'num_classes') if k not in head_cfg]
        if missing:
            raise ValueError(f'HRDAHead: single_scale_head lacks {missing}; expected a full '
                             f'decode-head config (e.g. the DAFormerHead of the base model)')
        if not 0 <= hr_loss_weight + lr_loss_weight < 1:
            raise ValueError(f'HRDAHead: hr_loss_weight + lr_loss_weight must be in [0, 1), '
                             f'got {hr_loss_weight} + {lr_loss_weight}')
        own = {k: head_cfg[k] for k in self.shared_args if k in head_cfg}
        in_channels = own.get('in_channels')
        if isinstance(in_channels, (list, tuple)):
            own['input_transform'] = 'multiple_select'
        super().__init__(init_cfg=init_cfg, **own)
        # the classifier and dropout are the sub-heads'
        del self.conv_seg
        self.dropout = None
        self.head = MODELS.build(head_cfg)
        self.hr_loss_weight = hr_loss_weight
        self.lr_loss_weight = lr_loss_weight
        self.fixed_attention = fixed_attention
        if fixed_attention is None:
            self.scale_attention = MODELS.build(
                self.attention_cfg(head_cfg, attention_embed_dim, attention_classwise))
        else:
            self.scale_attention = None

    @staticmethod
    def attention_cfg(head_cfg: dict, embed_dim: int, classwise: bool) -> dict:
        """The scale-attention head: the single-scale head at ``embed_dim`` channels, with a
        1x1 conv fusion instead of DAFormer's ASPP, ``num_classes`` (or 1) outputs."""
        cfg = copy.deepcopy(head_cfg)
        cfg['channels'] = embed_dim
        if 'DAFormerHead' in str(cfg['type']):
            cfg.update(embed_dims=embed_dim, fusion='conv')
        if not classwise:
            cfg['num_classes'] = 1
        cfg['init_cfg'] = None
        return cfg

    # ------------------------------------------------------------------ forward
    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        """The shared head on the features of one scale."""
        return self.head(inputs)

    def attention(self, lr_feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """Scale attention in [0, 1] at the context logits' resolution."""
        if self.scale_attention is None:
            return torch.full((), float(self.fixed_attention), device=lr_feats[0].device)
        return torch.sigmoid(self.scale_attention(lr_feats))

    def fuse(self, lr_feats: Sequence[torch.Tensor], hr_seg: torch.Tensor, input_size,
             crop_box: Optional[CropBox] = None
             ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Fuse the context logits (from ``lr_feats``) with the detail logits ``hr_seg``.

        Args:
            lr_feats: backbone features of the context image.
            hr_seg: detail logits, of the crop ``crop_box`` (training) or of the whole image
                (inference, assembled from sliding windows).
            input_size: (H, W) of the full-resolution input the boxes refer to.
            crop_box: the detail crop in input pixels, or None when ``hr_seg`` covers it all.

        Returns:
            fused logits (at the detail logits' resolution, over the whole input), the
            attention-scaled context logits and ``hr_seg``.
        """
        lr_seg = self.head(lr_feats)
        att = self.attention(lr_feats)
        if crop_box is not None:
            mask = lr_seg.new_zeros((lr_seg.shape[0], 1, *lr_seg.shape[2:]))
            y1, y2, x1, x2 = scale_box(crop_box, input_size[0] / lr_seg.shape[2])
            mask[:, :, y1:y2, x1:x2] = 1
            att = att * mask
        lr_seg = (1 - att) * lr_seg
        hr_cell = (crop_box[1] - crop_box[0]) / hr_seg.shape[2] if crop_box is not None \
            else input_size[0] / hr_seg.shape[2]
        up_size = (round(input_size[0] / hr_cell), round(input_size[1] / hr_cell))
        up_lr_seg = resize(lr_seg, size=up_size, mode='bilinear',
                           align_corners=self.align_corners)
        if att.dim() == 4:
            att = resize(att, size=up_size, mode='bilinear', align_corners=self.align_corners)
        if crop_box is not None:
            inserted = torch.zeros_like(up_lr_seg)
            y1, y2, x1, x2 = scale_box(crop_box, hr_cell)
            inserted[:, :, y1:y2, x1:x2] = hr_seg
        else:
            inserted = hr_seg
        return att * inserted + up_lr_seg, lr_seg, hr_seg

    # ------------------------------------------------------------------ losses
    def multi_scale_loss(self, fused: torch.Tensor, lr_seg: torch.Tensor, hr_seg: torch.Tensor,
                         data_samples: List, weight: Optional[torch.Tensor] = None,
                         crop_box: Optional[CropBox] = None) -> Dict[str, torch.Tensor]:
        """The reference's loss split: fused x (1 - hr_w - lr_w), detail crop x hr_w (its
        labels and pixel weights cropped alike), context x lr_w. Accuracies unscaled."""
        def scaled(losses: dict, factor: float, prefix: str = '') -> dict:
            return {prefix + k: v * factor if k.startswith('loss') else v
                    for k, v in losses.items()}

        losses = scaled(head_loss(self, None, data_samples, weight, fused),
                        1 - self.hr_loss_weight - self.lr_loss_weight)
        if self.hr_loss_weight > 0:
            samples, hr_weight = data_samples, weight
            if crop_box is not None:
                samples = with_labels(data_samples, crop(stack_labels(data_samples), crop_box))
                hr_weight = None if weight is None else crop(weight, crop_box)
            losses.update(scaled(head_loss(self, None, samples, hr_weight, hr_seg),
                                 self.hr_loss_weight, 'hr.'))
        if self.lr_loss_weight > 0:
            losses.update(scaled(head_loss(self, None, data_samples, weight, lr_seg),
                                 self.lr_loss_weight, 'lr.'))
        return losses
