# Copyright (c) mmuda contributors. All rights reserved.
"""Block masks for masked image consistency (MIC)."""
import torch
import torch.nn.functional as F


class BlockMaskGenerator:
    """Random block masks: each ``block_size`` x ``block_size`` block is kept with
    probability ``1 - mask_ratio`` (MIC: ``rand(B, 1, H/b, W/b) > ratio``), nearest-upsampled to
    the image size. Multiplying a *normalised* image by the mask sets the masked pixels to 0,
    the dataset mean colour.

    Args:
        mask_ratio (float): share of blocks masked, in [0, 1).
        block_size (int): block side in pixels.
    """

    def __init__(self, mask_ratio: float = 0.7, block_size: int = 64):
        if not 0 <= mask_ratio < 1:
            raise ValueError(f'mask_ratio must be in [0, 1), got {mask_ratio}')
        if int(block_size) < 1:
            raise ValueError(f'block_size must be a positive integer, got {block_size}')
        self.mask_ratio = float(mask_ratio)
        self.block_size = int(block_size)

    def __call__(self, batch: int, height: int, width: int, device='cpu',
                 generator: torch.Generator = None) -> torch.Tensor:
        """A (batch, 1, height, width) float mask of ones (kept) and zeros (masked).

        As the reference: ``round(H / b) x round(W / b)`` random blocks, nearest-resized to
        ``H x W``.
        """
        b = self.block_size
        small = (max(1, round(height / b)), max(1, round(width / b)))
        keep = torch.rand((batch, 1) + small, generator=generator) > self.mask_ratio
        mask = F.interpolate(keep.float(), size=(height, width), mode='nearest')
        return mask.to(device)

    def mask_image(self, imgs: torch.Tensor, generator: torch.Generator = None) -> torch.Tensor:
        """Masked copy of a normalised (B, C, H, W) batch."""
        mask = self.mask(imgs, generator)
        return imgs * mask

    def mask(self, imgs: torch.Tensor, generator: torch.Generator = None) -> torch.Tensor:
        batch, _, height, width = imgs.shape
        return self(batch, height, width, imgs.device, generator).to(imgs.dtype)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(mask_ratio={self.mask_ratio}, '
                f'block_size={self.block_size})')
