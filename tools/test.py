# Copyright (c) mmuda contributors. All rights reserved.
"""Evaluate a checkpoint on a config's test split (one process, torchrun, slurm or mpi)."""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmuda.utils import close_dist, init_cpu_dist, record_dist_backend, register_all_modules
from mmuda.utils.config_check import check_config
from mmuda.utils.errors import RunError
from mmuda.utils.workdir import WorkDirGuard


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and evaluate) a mmuda model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the directory to save the file with evaluation '
                        'metrics')
    parser.add_argument('--out', type=str, help='directory to save the raw predictions '
                        '(segmentation: label PNGs)')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument('--show-dir', help='directory where painted images will be saved; '
                        'a relative path is taken inside the work dir')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair in xxx=yyy '
        'format will be merged into config file.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--tta', action='store_true', help='test-time augmentation: the '
                        "config's tta_pipeline and tta_model (flip + multi-scale for "
                        'segmentation, flip for detection)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def trigger_visualization_hook(cfg, args):
    default_hooks = cfg.default_hooks
    if 'visualization' not in default_hooks:
        raise RuntimeError(
            'VisualizationHook must be included in default_hooks to use --show or --show-dir; '
            'refer to configs/_base_/schedules/schedule_synthetic.py')
    visualization_hook = default_hooks['visualization']
    visualization_hook['draw'] = True
    visualization_hook['interval'] = 1  # paint every test image, not one in 50
    if args.show:
        visualization_hook['show'] = True
        visualization_hook['wait_time'] = args.wait_time
    if args.show_dir:
        # a relative --show-dir lives in the work dir
        cfg.visualizer['save_dir'] = osp.join(cfg.work_dir, args.show_dir)
    return cfg


def apply_tta(cfg, config_path: str):
    """Test on the config's ``tta_pipeline`` with the model wrapped in its ``tta_model``
    (the dataset and runtime bases in configs/_base_ define both)."""
    missing = [key for key in ('tta_model', 'tta_pipeline') if cfg.get(key) is None]
    if missing:
        raise RunError(
            f'--tta needs {" and ".join(missing)} in the config {config_path}: tta_pipeline '
            '(the test pipeline with a TestTimeAug step) and tta_model (the wrapper merging '
            'the views, e.g. dict(type="UDASegTTAModel") or dict(type="mmdet.DetTTAModel", '
            'tta_cfg=...)); see configs/_base_/datasets/synthetic_domains.py and '
            'configs/_base_/default_runtime.py')
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model
    return cfg


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    try:
        if args.tta:
            cfg = apply_tta(cfg, args.config)
        # config mistakes before anything is built; a failed test leaves no half-written
        # work dir (docs/guarantees.md)
        check_config(cfg, ('test_dataloader',), args.config)
        init_cpu_dist(args.launcher)
        record_dist_backend(cfg)
        with WorkDirGuard(cfg.work_dir, launcher=args.launcher):
            run_test(cfg)
    except RunError as exc:
        sys.exit(f'Error: {exc}')
    close_dist()


def run_test(cfg) -> None:
    """Build the Runner and test; the Runner is gone when this returns."""
    Runner.from_cfg(cfg).test()


if __name__ == '__main__':
    main()
