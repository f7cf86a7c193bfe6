# Copyright (c) mmuda contributors. All rights reserved.
"""Train and evaluate methods on the embedded synthetic domains and print a summary table.

    python tools/misc/demo.py                       # one seed of every method (make demo)
    python tools/misc/demo.py --seeds 0 1 2         # mean +- std over seeds
    python tools/misc/demo.py --methods source_only oracle --iters 300

Each method is trained with ``tools/train.py`` (a subprocess, exactly what a user runs), then
its final checkpoint is evaluated on the target val split and on the source val split with
mmseg's IoUMetric. Results go to ``<work-dir>/summary.json`` as
``{"<method>": {"target_mIoU": .., "source_mIoU": .., "minutes": ..}, ...}``; with several
seeds each number is the mean and ``*_std`` / ``per_seed`` entries are added, and
``paired_differences`` gives each method's gain over the one before it, seed by seed.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: (method name, config) in the order of the table. Later methods append here.
METHODS = {
    'source_only': 'configs/source_only/source-only_segformer-mitb0_1k_synthetic-src2tgt.py',
    'dacs': 'configs/daformer/dacs_segformer-mitb0_1k_synthetic-src2tgt.py',
    'mic': 'configs/mic/mic-dacs_segformer-mitb0_1k_synthetic-src2tgt.py',
    'oracle': 'configs/oracle/oracle_segformer-mitb0_1k_synthetic-tgt.py',
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--methods', nargs='+', default=list(METHODS), choices=list(METHODS))
    parser.add_argument('--seeds', nargs='+', type=int, default=[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--iters', type=int, default=None,
                        help='override the number of training iterations (quick checks)')
    parser.add_argument('--skip-done', action='store_true',
                        help='reuse the result of a method and seed whose work dir already '
                        'holds result.json (e.g. to finish an interrupted multi-seed run)')
    return parser.parse_args()


def train(config: str, work_dir: str, seed: int, iters) -> float:
    """Run tools/train.py; returns minutes taken."""
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), osp.join(ROOT, config),
           '--work-dir', work_dir, '--cfg-options', f'randomness.seed={seed}']
    if iters is not None:
        # the warm-up (100 iterations, at most a tenth of the run) and poly decay of the
        # synthetic schedule fit in the run
        warmup = max(1, min(100, iters // 10))
        cmd += [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
                f'default_hooks.checkpoint.interval={iters}', f'param_scheduler.0.end={warmup}',
                f'param_scheduler.1.begin={warmup}', f'param_scheduler.1.end={iters}']
    start = time.time()
    log_path = osp.join(work_dir, 'train_stdout.log')
    os.makedirs(work_dir, exist_ok=True)
    with open(log_path, 'w') as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    if proc.returncode != 0:
        with open(log_path) as f:
            tail = ''.join(f.readlines()[-30:])
        raise SystemExit(f'training failed ({" ".join(cmd)}):\n{tail}')
    return (time.time() - start) / 60


def evaluate(config: str, checkpoint: str, work_dir: str) -> dict:
    """mIoU of a checkpoint on target val and source val."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmuda.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    results = {}
    for name, split in (('target_mIoU', 'target_val'), ('source_mIoU', 'source_val')):
        cfg = Config.fromfile(osp.join(ROOT, config))
        cfg.work_dir = osp.join(work_dir, 'eval_' + split)
        cfg.load_from = checkpoint
        cfg.test_dataloader.dataset = cfg[split]
        cfg.default_hooks.pop('visualization', None)
        cfg.log_level = 'WARNING'
        metrics = Runner.from_cfg(cfg).test()
        results[name] = round(float(metrics['mIoU']), 2)
    return results


def summarise(per_seed: dict) -> dict:
    summary = {}
    for method, runs in per_seed.items():
        entry = {}
        for key in ('target_mIoU', 'source_mIoU', 'minutes'):
            values = np.array([r[key] for r in runs], dtype=float)
            entry[key] = round(float(values.mean()), 2)
            if len(runs) > 1:
                entry[key + '_std'] = round(float(values.std(ddof=1)), 2)
        if len(runs) > 1:
            entry['per_seed'] = runs
        summary[method] = entry
    return summary


def paired_differences(per_seed: dict) -> dict:
    """Target mIoU of each method minus that of the method before it in the table, seed by
    seed (runs with the same seed share the initial weights and the data order), as mean and
    std over the seeds both have."""
    methods = list(per_seed)
    out = {}
    for prev, method in zip(methods, methods[1:]):
        before = {r['seed']: r['target_mIoU'] for r in per_seed[prev]}
        diffs = [r['target_mIoU'] - before[r['seed']] for r in per_seed[method]
                 if r['seed'] in before]
        if len(diffs) > 1:
            out[f'{method} - {prev}'] = dict(
                mean=round(float(np.mean(diffs)), 2), std=round(float(np.std(diffs, ddof=1)), 2),
                per_seed=[round(d, 2) for d in diffs])
    return out


def print_table(summary: dict) -> None:
    multi = any('target_mIoU_std' in v for v in summary.values())

    def fmt(entry, key):
        if multi:
            return f'{entry[key]:.1f} +- {entry[key + "_std"]:.1f}'
        return f'{entry[key]:.1f}'

    header = f'{"method":<14}{"target mIoU":>16}{"source mIoU":>16}{"minutes":>10}'
    print(header)
    print('-' * len(header))
    for method, entry in summary.items():
        print(f'{method:<14}{fmt(entry, "target_mIoU"):>16}{fmt(entry, "source_mIoU"):>16}'
              f'{entry["minutes"]:>10.1f}')


def main():
    args = parse_args()
    work_root = osp.abspath(args.work_dir)
    per_seed = {}
    for method in args.methods:
        config = METHODS[method]
        for seed in args.seeds:
            work_dir = osp.join(work_root, method if len(args.seeds) == 1 else
                                f'{method}_seed{seed}')
            result_file = osp.join(work_dir, 'result.json')
            if args.skip_done and osp.exists(result_file):
                with open(result_file) as f:
                    result = json.load(f)
                if result.get('iters') == args.iters and result.get('config') == config:
                    print(f'[demo] {method} (seed {seed}): done before: {result}', flush=True)
                    per_seed.setdefault(method, []).append(result)
                    continue
            print(f'[demo] {method} (seed {seed}): training {config}', flush=True)
            minutes = train(config, work_dir, seed, args.iters)
            checkpoints = sorted(glob.glob(osp.join(work_dir, 'iter_*.pth')),
                                 key=lambda p: int(p.rsplit('_', 1)[1][:-4]))
            result = evaluate(config, checkpoints[-1], work_dir)
            result.update(minutes=round(minutes, 2), seed=seed, config=config, iters=args.iters)
            with open(result_file, 'w') as f:
                json.dump(result, f, indent=2)
            print(f'[demo] {method} (seed {seed}): {result}', flush=True)
            per_seed.setdefault(method, []).append(result)
    summary = summarise(per_seed)
    paired = paired_differences(per_seed)
    if paired:
        summary['paired_differences'] = paired
    os.makedirs(work_root, exist_ok=True)
    out = osp.join(work_root, 'summary.json')
    with open(out, 'w') as f:
        json.dump(summary, f, indent=2)
    print()
    print_table({k: v for k, v in summary.items() if k != 'paired_differences'})
    for name, d in paired.items():
        print(f'{name}: {d["mean"]:+.1f} +- {d["std"]:.1f} target mIoU (same-seed differences '
              f'{d["per_seed"]})')
    print(f'\n[demo] written to {out}')


if __name__ == '__main__':
    main()
