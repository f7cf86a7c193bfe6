# Copyright (c) mmuda contributors. All rights reserved.
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmuda.models.utils.masking import BlockMaskGenerator
from mmuda.registry import HOOKS
from .utils import runner_model


@HOOKS.register_module()
class MaskingHook(Hook):
    """Owns the block-mask generator of masked image consistency and hands the model a fresh
    mask source every iteration.

    Before each training iteration the model's ``mask_source`` is set to a callable
    ``(batch, height, width, device) -> mask``: the hook's :class:`BlockMaskGenerator` with a
    random generator seeded from (``seed``, iteration, rank). Masks are therefore
    reproducible, a resumed run draws the same masks as an uninterrupted one, and each process
    of a distributed run masks its own images differently.

    Args:
        mask_ratio (float): share of masked blocks, in [0, 1). MIC: 0.7.
        block_size (int): block side in pixels. MIC: 64 (HRDA), 32 (DAFormer resolution).
        seed (int): base seed of the masks.
    """
    priority = 'NORMAL'

    def __init__(self, mask_ratio: float = 0.7, block_size: int = 64, seed: int = 0):
        self.generator = BlockMaskGenerator(mask_ratio, block_size)
        self.seed = int(seed)

    def before_run(self, runner) -> None:
        model = runner_model(runner)
        if not hasattr(model, 'mask_source') or not hasattr(model, 'hook_ran'):
            raise AttributeError(
                f'MaskingHook needs a model that uses masks (a `mask_source` attribute); '
                f'{type(model).__name__} has none')

    def mask_seed(self, iteration: int, rank: int) -> int:
        """Seed of the masks of ``iteration`` on process ``rank`` (rank 0: the seed of a
        single-process run)."""
        # torch seeds its CPU generator with 32 bits: keep the rank inside them
        return (self.seed * 1_000_003 + iteration + rank * 2_654_435_761) % 2**32

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        model = runner_model(runner)
        rng = torch.Generator().manual_seed(self.mask_seed(runner.iter, get_rank()))
        model.mask_source = lambda batch, height, width, device: self.generator(
            batch, height, width, device, generator=rng)
        model.hook_ran('MaskingHook')
