# Copyright (c) mmuda contributors. All rights reserved.
"""Print a config fully resolved: its ``_base_`` files merged and ``--cfg-options`` applied,
as mmengine's ``Config.pretty_text`` (what tools/train.py runs and dumps into the work dir).

    python tools/analysis_tools/print_config.py CONFIG [--cfg-options k=v ...] [--save-path F]
"""
import argparse
import os.path as osp

from mmengine.config import DictAction

from mmuda.utils.config_check import load_config


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file path')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override some settings in the config, key=value')
    parser.add_argument('--save-path', help='also write the resolved config here (.py, .json '
                        'or .yml)')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    print(cfg.pretty_text)
    if args.save_path:
        suffix = osp.splitext(args.save_path)[1]
        if suffix not in ('.py', '.json', '.yml', '.yaml'):
            raise SystemExit(f'--save-path must end in .py, .json or .yml; got '
                             f'{args.save_path!r}')
        cfg.dump(args.save_path)
        print(f'saved the config to {args.save_path}')


if __name__ == '__main__':
    main()
