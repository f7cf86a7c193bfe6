# Copyright (c) mmuda contributors. All rights reserved.
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SOURCE_ONLY_CFG = osp.join(
    ROOT, 'configs/source_only/source-only_segformer-mitb0_1k_synthetic-src2tgt.py')

# Small domains for tests: the same styles as the configs, fewer and smaller images.
TINY_IMAGES = dict(train=16, val=4)
TINY_SIZE = (64, 128)


def schedule_options(config: str, iters: int, warmup: int):
    """--cfg-options fitting ``config``'s warm-up + decay schedule into ``iters``."""
    from mmengine.config import Config

    from mmuda.utils.schedule import short_schedule_options
    cfg = Config.fromfile(config)
    return short_schedule_options(cfg.param_scheduler, cfg.train_cfg.max_iters, iters, warmup)


def tiny_cfg_options(data_root: str, iters: int, extra=(), synthetic_train=True,
                     config=SOURCE_ONLY_CFG):
    """--cfg-options that shrink a synthetic segmentation config (default: source only) to a
    few-second CPU run.

    With ``synthetic_train=False`` the train dataset is left as the config has it.
    """
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False',
                 f'{loader}.batch_size=2']
        if loader == 'train_dataloader' and not synthetic_train:
            continue
        opts += [f'{loader}.dataset.data_root={data_root}',
                 f'{loader}.dataset.num_images.train={TINY_IMAGES["train"]}',
                 f'{loader}.dataset.num_images.val={TINY_IMAGES["val"]}',
                 f'{loader}.dataset.img_size=({TINY_SIZE[0]},{TINY_SIZE[1]})']
    size = f'({TINY_SIZE[0]},{TINY_SIZE[1]})'
    opts += [f'data_preprocessor.size={size}']
    if synthetic_train:
        opts += [f'model.data_preprocessor.size={size}']
        # train pipeline: resize and crop around the tiny image size
        opts += ['train_dataloader.dataset.pipeline.2.scale=(128,64)',
                 f'train_dataloader.dataset.pipeline.3.crop_size=({TINY_SIZE[0]},{TINY_SIZE[1]})']
    opts += [
        f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
        f'default_hooks.checkpoint.interval={iters}', 'default_hooks.logger.interval=1',
    ] + schedule_options(config, iters, max(1, iters // 5))
    return opts + list(extra)


def run_tool(args, cwd=ROOT, timeout=600, env=None):
    """Run a command with the test interpreter; returns the CompletedProcess."""
    full_env = dict(os.environ)
    full_env['PYTHONPATH'] = ROOT + os.pathsep + full_env.get('PYTHONPATH', '')
    if env:
        full_env.update(env)
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=full_env)


def train_cmd(work_dir, data_root, iters, extra=(), config=SOURCE_ONLY_CFG,
              synthetic_train=True, tool='tools/train.py'):
    return [sys.executable, osp.join(ROOT, tool), config, '--work-dir', work_dir,
            '--cfg-options', *tiny_cfg_options(data_root, iters, extra, synthetic_train,
                                               config)]


def counting_optim_wrapper(model, lr=0.01):
    """An SGD ``OptimWrapper`` over a UDA model's trainable part that counts its backward
    passes and optimizer steps (``.backwards``, ``.steps``)."""
    from mmengine.optim import OptimWrapper

    from mmuda.engine import UDAOptimWrapperConstructor

    class CountingOptimWrapper(OptimWrapper):

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.backwards = self.steps = 0

        def backward(self, loss, **kwargs):
            self.backwards += 1
            super().backward(loss, **kwargs)

        def step(self, **kwargs):
            self.steps += 1
            super().step(**kwargs)

    return UDAOptimWrapperConstructor(
        dict(type=CountingOptimWrapper, optimizer=dict(type='SGD', lr=lr)))(model)


def before_iteration(model, iteration=0, mask_ratio=0.5, block_size=8):
    """What the Runner's hooks do before training iteration ``iteration``, for the hooks the
    model needs (EMATeacherHook, MaskingHook): for tests that drive ``train_step`` directly."""
    from types import SimpleNamespace

    from mmuda.engine import EMATeacherHook, MaskingHook
    runner = SimpleNamespace(model=model, iter=iteration)
    hooks = dict(EMATeacherHook=EMATeacherHook(),
                 MaskingHook=MaskingHook(mask_ratio=mask_ratio, block_size=block_size))
    for name in model.required_hooks():
        hooks[name].before_train_iter(runner, iteration)
    return model
