# Copyright (c) mmuda contributors. All rights reserved.
"""HRDA (Hoyer, Dai, Van Gool, ECCV 2022): multi-resolution training of a segmentor."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.utils import resize
from mmseg.utils import add_prefix

from mmuda.models.decode_heads.hrda_head import CropBox, HRDAHead, crop
from mmuda.registry import MODELS


@MODELS.register_module()
class HRDAEncoderDecoder(EncoderDecoder):
    """An mmseg ``EncoderDecoder`` trained on two views of each crop: the whole crop at a
    low resolution (context, ``scales[0]``) and a random sub-crop at full resolution (detail,
    ``scales[1]``), both through the same backbone and :class:`HRDAHead`.

    - Training (:meth:`weighted_loss`, also behind mmseg's ``loss``): context = the input
      resized by ``scales[0]``; detail = a random ``hr_crop_size`` crop of the input resized by
      ``scales[1]``, its corner divisible by ``crop_coord_divisible`` so that it falls on logit
      cells at both scales; fused prediction and the head's loss split. The detail scale is
      the full resolution (1), as in the reference.
    - Inference (:meth:`encode_decode`, hence mmseg's whole and slide test modes, and the
      teacher's pseudo-labels through :meth:`dense_logits`): the context on the whole input,
      the detail by overlapping sliding windows of ``hr_crop_size`` (stride half a window; no
      overlap with ``hr_slide_overlapping=False``), all windows in one batch.
    - :meth:`extract_feat` gives the features at ``feature_scale`` (the context scale, as the
      reference's ImageNet feature distance uses).

    The crop is drawn from the ``generator`` passed by the UDA method (its per-iteration
    generator, so resumed runs repeat it) or from torch's global one; nothing is kept between
    calls.

    Args:
        scales (tuple): (context, detail) resize factors. HRDA: (0.5, 1.0).
        hr_crop_size (tuple, optional): (h, w) of the detail crop in detail-scale pixels;
            None trains the detail branch on the whole input. HRDA: (512, 512).
        crop_coord_divisible (int): HRDA: 8 (output stride 4 x context factor 2).
        hr_slide_inference (bool): slide windows for the detail branch at inference (True);
            False runs it on the whole input.
        hr_slide_overlapping (bool): stride of half a window (True) or a whole one.
        feature_scale (float): the scale whose features :meth:`extract_feat` returns.
        **kwargs: mmseg ``EncoderDecoder`` arguments; ``decode_head`` must be an HRDAHead.
    """

    def __init__(self, *args, scales: Sequence[float] = (0.5, 1.0),
                 hr_crop_size: Optional[Sequence[int]] = (512, 512),
                 crop_coord_divisible: int = 8, hr_slide_inference: bool = True,
                 hr_slide_overlapping: bool = True, feature_scale: float = 0.5, **kwargs):
        super().__init__(*args, **kwargs)
        if not isinstance(self.decode_head, HRDAHead):
            raise TypeError(f'HRDAEncoderDecoder: decode_head must be an HRDAHead, got '
                            f'{type(self.decode_head).__name__}')
        if self.with_auxiliary_head:
            raise ValueError('HRDAEncoderDecoder: auxiliary heads are not supported (nor in '
                             'the reference); remove auxiliary_head')
        scales = tuple(sorted(float(s) for s in scales))
        if len(scales) != 2:
            raise ValueError(f'HRDAEncoderDecoder: scales must hold two factors (context, '
                             f'detail), got {scales}')
        if scales[1] != 1:
            raise ValueError(f'HRDAEncoderDecoder: the detail scale must be 1 (full '
                             f'resolution, as the reference), got scales={scales}')
        if feature_scale not in scales:
            raise ValueError(f'HRDAEncoderDecoder: feature_scale {feature_scale} is not one '
                             f'of the scales {scales}')
        self.scales = scales
        self.hr_crop_size = tuple(hr_crop_size) if hr_crop_size is not None else None
        self.crop_coord_divisible = crop_coord_divisible
        self.hr_slide_inference = hr_slide_inference
        self.hr_slide_overlapping = hr_slide_overlapping
        self.feature_scale = feature_scale

    # ------------------------------------------------------------------ pieces
    def rescale(self, inputs: torch.Tensor, scale: float) -> torch.Tensor:
        if scale == 1:
            return inputs
        return resize(inputs, scale_factor=scale, mode='bilinear',
                      align_corners=self.align_corners)

    def backbone_feats(self, inputs: torch.Tensor) -> List[torch.Tensor]:
        return super().extract_feat(inputs)

    def extract_feat(self, inputs: torch.Tensor) -> List[torch.Tensor]:
        """Backbone (+ neck) features of the input resized by ``feature_scale``."""
        return self.backbone_feats(self.rescale(inputs, self.feature_scale))

    def random_crop_box(self, height: int, width: int,
                        generator: Optional[torch.Generator] = None) -> CropBox:
        """A random ``hr_crop_size`` box inside (height, width), corner divisible by
        ``crop_coord_divisible`` (the reference's draw: offset = randint(0, (margin + 1) //
        divisible) * divisible)."""
        h, w = self.hr_crop_size
        if height < h or width < w:
            raise ValueError(f'HRDAEncoderDecoder: the detail crop {self.hr_crop_size} is '
                             f'larger than the detail-scale input ({height}, {width}); lower '
                             f'hr_crop_size or raise the training crop')
        div = self.crop_coord_divisible
        offsets = []
        for margin in (height - h, width - w):
            high = max((margin + 1) // div, 1)
            offsets.append(int(torch.randint(high, (1, ), generator=generator)) * div)
        return offsets[0], offsets[0] + h, offsets[1], offsets[1] + w

    def slide_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """Detail logits of the whole ``inputs`` from overlapping ``hr_crop_size`` windows,
        run as one batch, averaged where they overlap."""
        h_crop, w_crop = self.hr_crop_size
        h_stride, w_stride = (h_crop // 2, w_crop // 2) if self.hr_slide_overlapping \
            else (h_crop, w_crop)
        batch, _, h_img, w_img = inputs.shape
        h_grids = max(h_img - h_crop + h_stride - 1, 0) // h_stride + 1
        w_grids = max(w_img - w_crop + w_stride - 1, 0) // w_stride + 1
        boxes = []
        for i in range(h_grids):
            for j in range(w_grids):
                y2, x2 = min(i * h_stride + h_crop, h_img), min(j * w_stride + w_crop, w_img)
                boxes.append((max(y2 - h_crop, 0), y2, max(x2 - w_crop, 0), x2))
        logits = self.decode_head.forward(
            self.backbone_feats(torch.cat([crop(inputs, b) for b in boxes])))
        cell = min(h_crop, h_img) / logits.shape[2]
        out = logits.new_zeros((batch, logits.shape[1], round(h_img / cell),
                                round(w_img / cell)))
        count = logits.new_zeros((batch, 1, *out.shape[2:]))
        for k, box in enumerate(boxes):
            y1, y2, x1, x2 = (int(v / cell) for v in box)
            out[:, :, y1:y2, x1:x2] += logits[k * batch:(k + 1) * batch]
            count[:, :, y1:y2, x1:x2] += 1
        return out / count

    def multi_scale_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """Fused logits over the whole input (inference), at the detail logits' resolution."""
        lr_feats = self.backbone_feats(self.rescale(inputs, self.scales[0]))
        if self.hr_slide_inference and self.hr_crop_size is not None:
            hr_seg = self.slide_logits(inputs)
        else:
            hr_seg = self.decode_head.forward(self.backbone_feats(inputs))
        fused, _, _ = self.decode_head.fuse(lr_feats, hr_seg, inputs.shape[2:])
        return fused

    # ------------------------------------------------------------------ mmseg API
    def dense_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """Logits for pseudo-labels (mmuda's teacher protocol, see
        :func:`mmuda.models.utils.seg_losses.decode_logits`)."""
        return self.multi_scale_logits(inputs)

    def encode_decode(self, inputs: torch.Tensor,
                      batch_img_metas: Optional[List[dict]] = None) -> torch.Tensor:
        fused = self.multi_scale_logits(inputs)
        if not batch_img_metas:
            return resize(fused, size=inputs.shape[2:], mode='bilinear',
                          align_corners=self.align_corners)
        return self.decode_head.predict_by_feat(fused, batch_img_metas)

    def _forward(self, inputs: torch.Tensor, data_samples=None) -> torch.Tensor:
        return self.multi_scale_logits(inputs)

    def weighted_loss(self, inputs: torch.Tensor, data_samples: List,
                      weight: Optional[torch.Tensor] = None,
                      generator: Optional[torch.Generator] = None,
                      logits: Optional[Dict[str, torch.Tensor]] = None
                      ) -> Tuple[Dict[str, torch.Tensor], List[torch.Tensor]]:
        """The training loss with an optional (B, H, W) pixel weight (mmuda's weighted-loss
        protocol, see :func:`mmuda.models.utils.seg_losses.segmentor_loss`); returns the
        losses and the features at ``feature_scale``. ``logits`` receives the fused logits
        under 'decode'."""
        lr_feats = self.backbone_feats(self.rescale(inputs, self.scales[0]))
        box = None if self.hr_crop_size is None else \
            self.random_crop_box(*inputs.shape[2:], generator=generator)
        hr_feats = self.backbone_feats(inputs if box is None else crop(inputs, box))
        fused, lr_seg, hr_seg = self.decode_head.fuse(
            lr_feats, self.decode_head.forward(hr_feats), inputs.shape[2:], box)
        if logits is not None:
            logits['decode'] = fused
        losses = self.decode_head.multi_scale_loss(fused, lr_seg, hr_seg, data_samples,
                                                   weight, box)
        feats = lr_feats if self.feature_scale == self.scales[0] else hr_feats
        return losses, feats

    def loss(self, inputs: torch.Tensor, data_samples: List) -> dict:
        """mmseg's training loss (plain mmseg training, e.g. source only): the multi-scale
        loss under 'decode.', the crop drawn from torch's global generator."""
        return add_prefix(self.weighted_loss(inputs, data_samples)[0], 'decode')
