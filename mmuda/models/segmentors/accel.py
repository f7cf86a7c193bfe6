# Copyright (c) mmuda contributors. All rights reserved.
"""The ACCEL-style video segmentor of DA-VSN and TPS (Jain et al., CVPR 2019, as used by
Guan et al., ICCV 2021 and Xing et al., ECCV 2022)."""
from typing import Dict, List, NamedTuple, Optional

import torch
import torch.nn as nn
from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.utils import resize
from mmseg.utils import add_prefix

from mmuda.registry import MODELS
from ..data_preprocessor import stack_frames
from ..utils.flow_warp import warp_by_flow
from ..utils.seg_losses import head_loss, segmentor_heads


class FrameLogits(NamedTuple):
    """One head's logits of a frame pair, at the head's resolution.

    ``current``: frame t (with gradient); ``previous``: frame t-1 (no gradient); ``fused``:
    the fusion of ``current`` with ``previous`` warped to frame t; ``valid``: (B, 1, h, w),
    where the warp has a correspondence.
    """
    current: torch.Tensor
    previous: torch.Tensor
    fused: torch.Tensor
    valid: torch.Tensor


@MODELS.register_module()
class AccelSegmentor(EncoderDecoder):
    """mmseg's ``EncoderDecoder`` on a frame pair (t, t-1) with the optical flow of t.

    Both frames go through the backbone and every head (``decode`` and ``aux``: DeepLab-v2's
    ASPP classifiers on layer4 and layer3), frame t-1 without gradient; the logits of t-1 are
    warped to frame t with the flow (:func:`mmuda.models.utils.flow_warp.warp_by_flow`) and a
    1x1 convolution without bias, shared by the heads, fuses ``[logits_t, warped_t-1]``
    (2C -> C), initialised to pass ``logits_t`` through (identity on the current half, zero on
    the warped half), as the reference's ``sf_layer``. Training (``loss``) and prediction use
    the fused logits; the frames and flows come from the video samples
    (:class:`mmuda.datasets.transforms.PackVideoSegInputs`,
    :class:`mmuda.models.VideoSegDataPreProcessor`), so mmseg's metrics and visualisers work
    on frame t as for any segmentor. Whole-image inference only.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        classes = self.decode_head.num_classes
        self.fusion = nn.Conv2d(2 * classes, classes, kernel_size=1, bias=False)
        self.reset_fusion()
        mode = (self.test_cfg or {}).get('mode', 'whole')
        if mode != 'whole':
            raise ValueError(f"AccelSegmentor predicts whole frame pairs: test_cfg.mode must "
                             f"be 'whole', got {mode!r}")

    def reset_fusion(self) -> None:
        """Identity on the current frame's half, zero on the warped half."""
        classes = self.decode_head.num_classes
        with torch.no_grad():
            self.fusion.weight.zero_()
            self.fusion.weight[:, :classes, 0, 0].copy_(torch.eye(classes))

    def init_weights(self):
        super().init_weights()
        self.reset_fusion()

    def pair_logits(self, img: torch.Tensor, img_prev: torch.Tensor,
                    flow: torch.Tensor) -> Dict[str, FrameLogits]:
        """Each head's :class:`FrameLogits` of the pair (``img`` = t, ``img_prev`` = t-1,
        ``flow``: the backward flow of t, (B, 2, H, W) at the frames' size)."""
        feats = self.extract_feat(img)
        with torch.no_grad():
            feats_prev = self.extract_feat(img_prev)
        out = {}
        for level, head in segmentor_heads(self).items():
            current = head.forward(feats)
            with torch.no_grad():
                previous = head.forward(feats_prev)
                # float32: the flow's pixel coordinates lose precision in half
                warped, valid = warp_by_flow(previous.float(), flow)
            fused = self.fusion(torch.cat((current, warped.to(current.dtype)), dim=1))
            out[level] = FrameLogits(current, previous, fused, valid)
        return out

    def sample_logits(self, inputs: torch.Tensor, data_samples: List,
                      prev_key: str = 'img_prev', flow_key: str = 'flow'
                      ) -> Dict[str, FrameLogits]:
        """:meth:`pair_logits` of pre-processed video samples (frame t = ``inputs``)."""
        return self.pair_logits(inputs, stack_frames(data_samples, prev_key),
                                stack_frames(data_samples, flow_key))

    def fused_loss(self, logits: Dict[str, FrameLogits], data_samples: List,
                   weight: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Each head's own loss (with its loss weight) on its fused logits."""
        heads = segmentor_heads(self)
        losses = {}
        for level, pair in logits.items():
            losses.update(add_prefix(
                head_loss(heads[level], None, data_samples, weight, pair.fused), level))
        return losses

    def loss(self, inputs: torch.Tensor, data_samples: List) -> dict:
        return self.fused_loss(self.sample_logits(inputs, data_samples), data_samples)

    def fused_seg_logits(self, inputs: torch.Tensor, data_samples: List) -> torch.Tensor:
        """The fused main logits up-sampled to the input size."""
        logits = self.sample_logits(inputs, data_samples)['decode'].fused
        return resize(logits, size=inputs.shape[2:], mode='bilinear',
                      align_corners=self.decode_head.align_corners)

    def predict(self, inputs: torch.Tensor, data_samples: List) -> List:
        return self.postprocess_result(self.fused_seg_logits(inputs, data_samples),
                                       data_samples)

    def _forward(self, inputs: torch.Tensor, data_samples: Optional[List] = None):
        if data_samples is None:
            raise ValueError('AccelSegmentor needs the video samples (frame t-1 and the flow) '
                             'besides frame t')
        return self.fused_seg_logits(inputs, data_samples)

    def encode_decode(self, inputs, batch_img_metas):
        raise NotImplementedError(
            'AccelSegmentor segments frame pairs: it needs frame t-1 and the flow of the video '
            'samples, which image metas do not carry; use predict(inputs, data_samples)')
