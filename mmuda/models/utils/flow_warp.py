# Copyright (c) mmuda contributors. All rights reserved.
"""Propagating predictions between video frames with an optical flow (DA-VSN, TPS).

A flow here is the backward flow of frame t (:mod:`mmuda.datasets.flow_io`): a (B, 2, H, W)
tensor (dx, dy) per pixel p of frame t such that p + flow(p) is where p was in the earlier
frame; NaN where there is no correspondence (occlusion, out of the frame). A map of the
earlier frame is brought to frame t by a bilinear *backward* warp, ``x_t(p) = x(p + flow(p))``
(``F.grid_sample``), as TPS does (its ``Resample2d``, bilinear, coordinates clamped to the
frame). The DA-VSN reference instead splats each earlier-frame pixel forward to the nearest
pixel in a Python loop; the backward warp is the standard, differentiable equivalent
(configs/davsn/README.md).
"""
from typing import Tuple

import torch
import torch.nn.functional as F


def resize_flow(flow: torch.Tensor, size: Tuple[int, int]) -> Tuple[torch.Tensor, torch.Tensor]:
    """A flow resized to ``size`` (a prediction's resolution) with its vectors scaled to that
    resolution (x by the width ratio, y by the height ratio), and the (B, 1, h, w) validity.

    NaN (no correspondence) is handled by normalised convolution: the valid vectors are
    averaged bilinearly and a pixel is valid where at least half of its bilinear weight
    falls on valid vectors.
    """
    if flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError(f'expected a (B, 2, H, W) flow, got shape {tuple(flow.shape)}')
    valid = torch.isfinite(flow).all(dim=1, keepdim=True).to(flow.dtype)
    filled = torch.nan_to_num(flow, nan=0.0) * valid
    height, width = flow.shape[2:]
    if (height, width) != tuple(size):
        filled = F.interpolate(filled, size=size, mode='bilinear', align_corners=False)
        valid = F.interpolate(valid, size=size, mode='bilinear', align_corners=False)
        filled = filled / valid.clamp(min=1e-6)
        scale = filled.new_tensor([size[1] / width, size[0] / height]).view(1, 2, 1, 1)
        filled = filled * scale
        valid = (valid >= 0.5).to(flow.dtype)
    return filled * valid, valid


def warp_by_flow(x: torch.Tensor, flow: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Bring ``x`` (B, C, h, w), a map of the earlier frame, to frame t: ``x(p + flow(p))``
    sampled bilinearly (coordinates outside the frame clamped to its border, as TPS's
    ``Resample2d``). ``flow`` is the backward flow of frame t at any resolution: it is resized
    to (h, w) first (:func:`resize_flow`). Returns the warped map, zero where the flow has no
    correspondence, and the (B, 1, h, w) validity (1 = a correspondence)."""
    height, width = x.shape[2:]
    flow, valid = resize_flow(flow.to(x.dtype), (height, width))
    ys, xs = torch.meshgrid(torch.arange(height, dtype=x.dtype, device=x.device),
                            torch.arange(width, dtype=x.dtype, device=x.device), indexing='ij')
    # pixel centres -> grid_sample's [-1, 1] (align_corners=True: -1 and 1 are the centres of
    # the first and last pixels)
    grid_x = (xs + flow[:, 0]) * (2.0 / max(width - 1, 1)) - 1.0
    grid_y = (ys + flow[:, 1]) * (2.0 / max(height - 1, 1)) - 1.0
    grid = torch.stack((grid_x, grid_y), dim=-1)
    warped = F.grid_sample(x, grid, mode='bilinear', padding_mode='border', align_corners=True)
    return warped * valid, valid
