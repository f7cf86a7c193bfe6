# Copyright (c) mmuda contributors. All rights reserved.
"""Config mistakes are reported before anything is built, each with its config path."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmuda.utils import register_all_modules
from mmuda.utils.config_check import (ConfigError, check_config, check_hooks,
                                      check_pipelines, check_top_level_keys)

from ..helpers import ROOT, SOURCE_ONLY_CFG

CONFIGS = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_no_false_positive_on_any_config(path):
    """Every config defines helper variables at top level; none is taken for a typo, and
    every hook argument and pipeline transform of every loader is valid."""
    register_all_modules(init_default_scope=False)
    check_config(Config.fromfile(path), LOADERS, path)


def _source_only(**options):
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(SOURCE_ONLY_CFG)
    cfg.merge_from_dict(options)
    return cfg


def test_misspelt_top_level_key_is_named_with_a_suggestion():
    cfg = _source_only(**{'optim_wraper.optimizer.lr': 0.1, 'defualt_hooks': {},
                          'my_helper_variable': 3, 'crop_size': (4, 4),
                          'custom_imports': dict(imports=[])})
    problems = check_top_level_keys(cfg)
    assert len(problems) == 2, problems
    assert "'optim_wraper' is not read by the Runner; did you mean 'optim_wrapper'?" in \
        problems[0] + problems[1]
    assert "did you mean 'default_hooks'?" in problems[0] + problems[1]


def test_hook_arguments_are_checked_before_the_first_save():
    cfg = _source_only(**{'default_hooks.checkpoint.max_keep_ckpt': 2,
                          'default_hooks.logger.intervall': 5})
    problems = check_hooks(cfg)
    assert len(problems) == 2, problems
    logger, checkpoint = sorted(problems, key=lambda p: 'checkpoint' in p)
    assert logger.startswith("default_hooks.logger: unknown argument(s) 'intervall' (did you "
                             "mean 'interval'?)")
    # CheckpointHook takes **kwargs and hands them to Runner.save_checkpoint at the first save
    assert checkpoint.startswith("default_hooks.checkpoint: unknown argument(s) "
                                 "'max_keep_ckpt' (did you mean 'max_keep_ckpts'?)")
    assert 'Runner.save_checkpoint' in checkpoint
    # arguments CheckpointHook does take are fine
    assert check_hooks(_source_only(**{'default_hooks.checkpoint.max_keep_ckpts': 2})) == []


def test_custom_hook_of_unknown_type():
    cfg = _source_only(custom_hooks=[dict(type='EMATeacherHok', alpha=0.9)])
    assert check_hooks(cfg) == ["custom_hooks[0]: no hook type 'EMATeacherHok' is registered"]


def test_bad_transform_argument_names_the_pipeline_step():
    cfg = _source_only(**{'train_dataloader.dataset.pipeline.3.crop_size': (-64, 128)})
    problems = check_pipelines(cfg, LOADERS)
    assert len(problems) == 1, problems
    # mmseg's RandomCrop asserts without a message: the failing line is quoted
    assert problems[0].startswith('train_dataloader.dataset.pipeline[3] (mmseg.RandomCrop): '
                                  'AssertionError in mmseg/datasets/transforms/transforms.py:')
    assert 'crop_size[0] > 0' in problems[0]


def test_nested_dataset_pipelines_are_found():
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs/daformer/dacs_segformer-mitb0_1k_synthetic-src2tgt.py'))
    cfg.merge_from_dict({'train_dataloader.dataset.target.pipeline.1.type': 'mmseg.NoSuch'})
    problems = check_pipelines(cfg, ('train_dataloader',))
    assert len(problems) == 1 and problems[0].startswith(
        'train_dataloader.dataset.target.pipeline[1] (mmseg.NoSuch): '), problems


def test_all_mistakes_in_one_error():
    cfg = _source_only(**{'optim_wraper.optimizer.lr': 0.1,
                          'default_hooks.checkpoint.max_keep_ckpt': 2,
                          'val_dataloader.dataset.pipeline.0.type': 'LoadImageFromFil'})
    with pytest.raises(ConfigError, match=r'The config x\.py has 3 mistake\(s\)') as info:
        check_config(cfg, filename='x.py')
    assert 'val_dataloader.dataset.pipeline[0] (LoadImageFromFil)' in str(info.value)
