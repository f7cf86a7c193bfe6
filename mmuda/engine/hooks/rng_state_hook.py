# Copyright (c) mmuda contributors. All rights reserved.
import torch
from mmengine.hooks import Hook

from mmuda.registry import HOOKS


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Keeps torch's global random state in every checkpoint and restores it when a run is
    resumed, so that a resumed run draws what the uninterrupted one would have drawn.

    mmengine checkpoints no random state. mmuda's own draws (ClassMix, masks, augmentation,
    domain RoIs) come from generators seeded by the iteration and are already reproducible,
    but upstream code draws from torch's global generator: mmdet's RoI and anchor samplers,
    dropout (DA-Faster's instance classifier). The state is restored in ``before_train`` of a
    resumed run (``runner.iter > 0``), not for a ``load_from`` that starts at iteration 0.
    numpy's and Python's states are left alone: the training loop replays the data loading of
    the iterations already done on resume, which repeats their draws by itself.
    """
    priority = 'VERY_LOW'

    def __init__(self):
        self._loaded = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['rng_state'] = dict(
            torch=torch.get_rng_state(),
            cuda=torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._loaded = checkpoint.get('rng_state')

    def before_train(self, runner) -> None:
        state, self._loaded = self._loaded, None
        if state is None or runner.iter == 0:
            return
        torch.set_rng_state(state['torch'])
        if state['cuda'] and torch.cuda.is_available() and \
                len(state['cuda']) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(state['cuda'])
