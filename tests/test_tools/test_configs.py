# Copyright (c) mmuda contributors. All rights reserved.
"""Every config parses and builds; names are unique; mim finds configs and tools."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmuda.registry import DATASETS, MODELS
from mmuda.utils import register_all_modules

from ..helpers import ROOT

CONFIGS = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)


def test_config_names_are_unique():
    names = [osp.basename(p) for p in CONFIGS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert len(CONFIGS) >= 2


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_config_builds(path):
    register_all_modules()
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmuda'
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    # datasets are described (not built here: that would generate data)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert DATASETS.get(cfg[loader].dataset.type) is not None


def test_mim_sees_configs_and_tools():
    import mmuda
    mim_dir = osp.join(osp.dirname(mmuda.__file__), '.mim')
    for name in ('configs', 'tools'):
        assert osp.isdir(osp.join(mim_dir, name)), f'{name} missing in {mim_dir}'
    assert osp.isfile(osp.join(mim_dir, 'tools', 'train.py'))
    assert osp.isfile(osp.join(mim_dir, 'configs', osp.relpath(CONFIGS[0],
                                                                osp.join(ROOT, 'configs'))))


def test_model_index_and_metafiles():
    """model-index.yml lists every method folder's metafile; each parses and names configs
    that exist (mim reads them)."""
    import yaml
    index = yaml.safe_load(open(osp.join(ROOT, 'model-index.yml')))
    listed = set(index['Import'])
    on_disk = {osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs', '*',
                                                                  'metafile.yml'))}
    assert listed == on_disk
    for path in sorted(listed):
        meta = yaml.safe_load(open(osp.join(ROOT, path)))
        for model in meta['Models']:
            assert osp.isfile(osp.join(ROOT, model['Config'])), (path, model['Config'])
            for result in model.get('Results', []):
                assert all(isinstance(v, (int, float)) for v in result['Metrics'].values()), \
                    (path, model['Name'])
