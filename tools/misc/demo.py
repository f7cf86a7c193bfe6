# Copyright (c) mmuda contributors. All rights reserved.
"""Train and evaluate methods on the embedded synthetic domains and print summary tables.

    python tools/misc/demo.py                       # one seed of every method (make demo)
    python tools/misc/demo.py --seeds 0 1 2         # mean +- std over seeds
    python tools/misc/demo.py --tasks detection --seeds 0 1 2 --methods all
    python tools/misc/demo.py --methods source_only oracle --iters 300
    python tools/misc/demo.py --tasks segmentation --methods source_only_deeplab advent

Each method is trained with ``tools/train.py`` (a subprocess, exactly what a user runs), then
its final checkpoint is evaluated on the target val split and on the source val split:
segmentation with mmseg's IoUMetric (mIoU), detection with mmdet's CocoMetric (AP50, i.e.
``bbox_mAP_50`` x 100). Results go to ``<work-dir>/summary.json`` as
``{"<method>": {"target_mIoU": .., "source_mIoU": .., "minutes": ..}, ...,
"detection": {"<method>": {"target_AP50": .., ...}}}``; with several seeds each number is the
mean and ``*_std`` / ``per_seed`` entries are added, and ``paired_differences`` gives each
method's gain over the source-only baseline (detection) or over the method it builds on
(segmentation: DACS over source only, MIC over DACS, AdvEnt over the DeepLab source only,
...), seed by seed.
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

#: per task: (method name -> config) in the order of the table, the metric (key in the
#: evaluator's results, scale, name) and the method the paired differences are taken against
#: (None: the method before). Later methods append here.
TASKS = {
    'segmentation': dict(
        methods={
            'source_only':
            'configs/source_only/source-only_segformer-mitb0_1k_synthetic-src2tgt.py',
            'dacs': 'configs/daformer/dacs_segformer-mitb0_1k_synthetic-src2tgt.py',
            'mic': 'configs/mic/mic-dacs_segformer-mitb0_1k_synthetic-src2tgt.py',
            'oracle': 'configs/oracle/oracle_segformer-mitb0_1k_synthetic-tgt.py',
            # the DeepLab-v2 family (its own CPU-sized model, source-only baseline and oracle)
            'source_only_deeplab':
            'configs/source_only/source-only_deeplabv2-r18_1k_synthetic-src2tgt.py',
            'adaptsegnet': 'configs/adaptsegnet/adaptsegnet_deeplabv2-r18_1k_synthetic-src2tgt.py',
            'minent': 'configs/advent/minent_deeplabv2-r18_1k_synthetic-src2tgt.py',
            'advent': 'configs/advent/advent_deeplabv2-r18_1k_synthetic-src2tgt.py',
            'cossim': 'configs/cossim/cossim_deeplabv2-r18_1k_synthetic-src2tgt.py',
            'cossim_advent': 'configs/cossim/cossim-advent_deeplabv2-r18_1k_synthetic-src2tgt.py',
            'mic_advent': 'configs/mic/mic-advent_deeplabv2-r18_1k_synthetic-src2tgt.py',
            'mic_minent': 'configs/mic/mic-minent_deeplabv2-r18_1k_synthetic-src2tgt.py',
            'oracle_deeplab': 'configs/oracle/oracle_deeplabv2-r18_1k_synthetic-tgt.py',
            # T2S-DA on DACS, and in domain generalisation (no target images; compare with
            # source_only on --extra-eval target_fog_val target_night_val)
            't2sda': 'configs/t2sda/t2sda_segformer-mitb0_1k_synthetic-src2tgt.py',
            't2sda_dg': 'configs/t2sda/t2sda-dg_segformer-mitb0_1k_synthetic-src.py',
            # HRDA on the 256 x 512 domains against DACS trained at half resolution there
            'dacs_hr_lr': 'configs/daformer/dacs_segformer-mitb0_1k_synthetic-hr-lr-src2tgt.py',
            'dacs_hr': 'configs/daformer/dacs_segformer-mitb0_1k_synthetic-hr-src2tgt.py',
            'hrda': 'configs/hrda/hrda_segformer-mitb0_1k_synthetic-hr-src2tgt.py',
            'mic_hrda': 'configs/mic/mic-hrda_segformer-mitb0_1k_synthetic-hr-src2tgt.py',
        },
        metric=('mIoU', 1.0, 'mIoU'),
        # each method against the one it builds on (its base)
        baseline=dict(dacs='source_only', mic='dacs', oracle='mic',
                      adaptsegnet='source_only_deeplab', minent='source_only_deeplab',
                      advent='source_only_deeplab', cossim='source_only_deeplab',
                      cossim_advent='advent', mic_advent='advent', mic_minent='minent',
                      oracle_deeplab='advent', t2sda='dacs', t2sda_dg='source_only',
                      dacs_hr='dacs_hr_lr', hrda='dacs_hr_lr', mic_hrda='hrda'),
        # make demo: one comparison (the DAFormer family: source only, DACS, MIC on DACS); the
        # oracle and the other methods with --methods (all), to keep make demo in its budget
        default=('source_only', 'dacs', 'mic')),
    'detection': dict(
        methods={
            'source_only':
            'configs/source_only/source-only_faster-rcnn-r18-c4_300_synthetic-clear2fog.py',
            'da_faster':
            'configs/da_faster/da-faster_faster-rcnn-r18-c4_300_synthetic-clear2fog.py',
            'visga': 'configs/visga/visga_faster-rcnn-r18-c4_300_synthetic-clear2fog.py',
            'mic': 'configs/mic/mic-da-faster_faster-rcnn-r18-c4_300_synthetic-clear2fog.py',
            'oracle': 'configs/oracle/oracle_faster-rcnn-r18-c4_300_synthetic-fog.py',
        },
        metric=('coco/bbox_mAP_50', 100.0, 'AP50'), baseline='source_only',
        # make demo: source only, DA-Faster and MIC on it; ViSGA and the oracle with
        # --methods (all), to keep make demo in its budget
        default=('source_only', 'da_faster', 'mic')),
    'video': dict(
        methods={
            'source_only':
            'configs/source_only/source-only_accel-deeplabv2-r18_1k_synthetic-video-src2tgt.py',
            'davsn': 'configs/davsn/davsn_accel-deeplabv2-r18_1k_synthetic-video-src2tgt.py',
            'tps': 'configs/tps/tps_accel-deeplabv2-r18_1k_synthetic-video-src2tgt.py',
            'oracle': 'configs/oracle/oracle_accel-deeplabv2-r18_1k_synthetic-video-tgt.py',
        },
        metric=('mIoU', 1.0, 'mIoU'), baseline='source_only',
        # make demo: TPS against source only at 500 iterations (its time budget);
        # --methods or --iters run the configs' own schedules
        default=('source_only', 'tps'), default_iters=500),
    'classification': dict(
        methods={
            'source_only': 'configs/source_only/source-only_cls-r18_1k_synthetic-src2tgt.py',
            'cdan': 'configs/sdat/cdan_cls-r18_1k_synthetic-src2tgt.py',
            'cdan_mcc': 'configs/sdat/cdan-mcc_cls-r18_1k_synthetic-src2tgt.py',
            'sdat': 'configs/sdat/sdat_cls-r18_1k_synthetic-src2tgt.py',
            'mic': 'configs/mic/mic-sdat_cls-r18_1k_synthetic-src2tgt.py',
            'oracle': 'configs/oracle/oracle_cls-r18_1k_synthetic-tgt.py',
        },
        # mean class accuracy (%), the headline of VisDA-2017
        metric=('mean_class_accuracy', 1.0, 'mAcc'),
        baseline=dict(cdan='source_only', cdan_mcc='cdan', sdat='cdan_mcc', mic='sdat',
                      oracle='mic'),
        # make demo: MIC (on SDAT) against source only at 400 iterations (its time budget);
        # --methods or --iters run the configs' own schedules, --methods all every step
        default=('source_only', 'mic'), default_iters=400),
}
#: work-dir prefix of each task's runs
PREFIX = dict(segmentation='', detection='det_', video='video_', classification='cls_')
ALL_METHODS = sorted({m for task in TASKS.values() for m in task['methods']})


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--tasks', nargs='+', default=list(TASKS), choices=list(TASKS))
    parser.add_argument('--methods', nargs='+', default=None, choices=ALL_METHODS + ['all'],
                        help="the methods to run (default: each task's default list, "
                        "'all': every method)")
    parser.add_argument('--seeds', nargs='+', type=int, default=[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--iters', type=int, default=None,
                        help='override the number of training iterations (quick checks)')
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='config overrides applied to every method trained and '
                        'evaluated (ablations), as tools/train.py --cfg-options')
    parser.add_argument('--extra-eval', nargs='+', default=[], metavar='DATASET',
                        help='also evaluate on these datasets of the config (variables of '
                        'its data base, e.g. target_fog_val target_night_val: the domain '
                        'generalisation table), saved as <DATASET>_<metric>')
    parser.add_argument('--skip-done', action='store_true',
                        help='reuse the result of a method and seed whose work dir already '
                        'holds result.json (e.g. to finish an interrupted multi-seed run)')
    return parser.parse_args()


def parse_options(options) -> dict:
    """``KEY=VALUE`` strings -> the dict tools/train.py makes of them."""
    from mmengine.config import DictAction
    namespace = argparse.Namespace()
    DictAction(option_strings=[], dest='options')(None, namespace, list(options))
    return namespace.options


def train(config: str, work_dir: str, seed: int, iters, options=()) -> float:
    """Run tools/train.py; returns minutes taken."""
    # no validation inside training: the demo evaluates the final checkpoint itself
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), osp.join(ROOT, config),
           '--work-dir', work_dir, '--cfg-options', f'randomness.seed={seed}',
           'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None', *options]
    if iters is not None:
        # the warm-up (100 iterations, at most a tenth of the run) and poly decay of the
        # synthetic schedule fit in the run
        from mmengine.config import Config

        from mmuda.utils.schedule import short_schedule_options
        warmup = max(1, min(100, iters // 10))
        cmd += [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
                f'default_hooks.checkpoint.interval={iters}']
        cfg = Config.fromfile(osp.join(ROOT, config))
        cmd += short_schedule_options(cfg.param_scheduler, cfg.train_cfg.max_iters, iters,
                                      warmup)
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


def evaluate(config: str, checkpoint: str, work_dir: str, metric=('mIoU', 1.0, 'mIoU'),
             options=(), extra=()) -> dict:
    """The metric of a checkpoint on target val and source val (and on the config's
    datasets named in ``extra``)."""
    from mmengine.config import Config
    from mmengine.runner import Runner, TestLoop

    from mmuda.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    key, scale, label = metric
    cfg = Config.fromfile(osp.join(ROOT, config))
    if options:
        cfg.merge_from_dict(parse_options(options))
    cfg.work_dir = osp.join(work_dir, 'eval')
    cfg.load_from = checkpoint
    cfg.test_dataloader.dataset = cfg.target_val
    cfg.default_hooks.pop('visualization', None)
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    results = {f'target_{label}': round(float(runner.test()[key]) * scale, 2)}
    # the source split with the same runner (model and checkpoint already loaded)
    source = TestLoop(runner, dict(cfg.test_dataloader, dataset=cfg.source_val),
                      cfg.test_evaluator)
    results[f'source_{label}'] = round(float(source.run()[key]) * scale, 2)
    for name in extra:
        if name not in cfg:
            raise SystemExit(f'--extra-eval {name}: {config} defines no dataset {name!r}')
        loop = TestLoop(runner, dict(cfg.test_dataloader, dataset=cfg[name]), cfg.test_evaluator)
        results[f'{name}_{label}'] = round(float(loop.run()[key]) * scale, 2)
    return results


def summarise(per_seed: dict, label: str = 'mIoU') -> dict:
    summary = {}
    for method, runs in per_seed.items():
        entry = {}
        keys = [f'target_{label}', f'source_{label}', 'minutes'] + sorted(
            k for k in runs[0] if k.endswith(f'_val_{label}') and all(k in r for r in runs))
        for key in keys:
            values = np.array([r[key] for r in runs], dtype=float)
            entry[key] = round(float(values.mean()), 2)
            if len(runs) > 1:
                entry[key + '_std'] = round(float(values.std(ddof=1)), 2)
        if len(runs) > 1:
            entry['per_seed'] = runs
        summary[method] = entry
    return summary


def paired_differences(per_seed: dict, label: str = 'mIoU', baseline=None) -> dict:
    """Target metric of each method minus that of its baseline (``baseline``: one method
    for all, or a dict method -> its base), seed by seed (runs with the same seed share the
    initial weights and the data order), as mean and std over the seeds both have."""
    methods = list(per_seed)
    key = f'target_{label}'
    bases = baseline if isinstance(baseline, dict) else {m: baseline for m in methods}
    pairs = [(bases[m], m) for m in methods
             if bases.get(m) in per_seed and bases[m] != m]
    out = {}
    for prev, method in pairs:
        before = {r['seed']: r[key] for r in per_seed[prev]}
        diffs = [r[key] - before[r['seed']] for r in per_seed[method] if r['seed'] in before]
        if len(diffs) > 1:
            out[f'{method} - {prev}'] = dict(
                mean=round(float(np.mean(diffs)), 2), std=round(float(np.std(diffs, ddof=1)), 2),
                per_seed=[round(d, 2) for d in diffs])
    return out


def print_table(summary: dict, label: str = 'mIoU') -> None:
    multi = any(f'target_{label}_std' in v for v in summary.values())

    def fmt(entry, key):
        if multi:
            return f'{entry[key]:.1f} +- {entry[key + "_std"]:.1f}'
        return f'{entry[key]:.1f}'

    width = max([14] + [len(m) + 2 for m in summary])
    header = f'{"method":<{width}}{"target " + label:>16}{"source " + label:>16}' \
        f'{"minutes":>10}'
    print(header)
    print('-' * len(header))
    for method, entry in summary.items():
        extra = ''.join(f'  {k[:-len(label) - 5]}: {fmt(entry, k)}' for k in entry
                        if k.endswith(f'_val_{label}'))
        print(f'{method:<{width}}{fmt(entry, "target_" + label):>16}'
              f'{fmt(entry, "source_" + label):>16}{entry["minutes"]:>10.1f}{extra}')


def run_task(task: str, args, work_root: str) -> dict:
    """Train and evaluate the task's methods over the seeds; returns its summary."""
    spec = TASKS[task]
    label = spec['metric'][2]
    per_seed = {}
    wanted = args.methods or spec.get('default', list(spec['methods']))
    iters = args.iters
    if iters is None and args.methods is None:
        iters = spec.get('default_iters')
    for method, config in spec['methods'].items():
        if method not in wanted and 'all' not in wanted:
            continue
        for seed in args.seeds:
            name = PREFIX[task] + method
            work_dir = osp.join(work_root, name if len(args.seeds) == 1 else
                                f'{name}_seed{seed}')
            result_file = osp.join(work_dir, 'result.json')
            if args.skip_done and osp.exists(result_file):
                with open(result_file) as f:
                    result = json.load(f)
                if result.get('iters') == iters and result.get('config') == config \
                        and result.get('cfg_options', []) == args.cfg_options \
                        and all(f'{n}_{label}' in result for n in args.extra_eval):
                    print(f'[demo] {task} {method} (seed {seed}): done before: {result}',
                          flush=True)
                    per_seed.setdefault(method, []).append(result)
                    continue
            print(f'[demo] {task} {method} (seed {seed}): training {config}', flush=True)
            minutes = train(config, work_dir, seed, iters, args.cfg_options)
            checkpoints = sorted(glob.glob(osp.join(work_dir, 'iter_*.pth')),
                                 key=lambda p: int(p.rsplit('_', 1)[1][:-4]))
            result = evaluate(config, checkpoints[-1], work_dir, spec['metric'],
                              args.cfg_options, args.extra_eval)
            result.update(minutes=round(minutes, 2), seed=seed, config=config, iters=iters)
            if args.cfg_options:
                result['cfg_options'] = args.cfg_options
            with open(result_file, 'w') as f:
                json.dump(result, f, indent=2)
            print(f'[demo] {task} {method} (seed {seed}): {result}', flush=True)
            per_seed.setdefault(method, []).append(result)
    summary = summarise(per_seed, label)
    paired = paired_differences(per_seed, label, spec['baseline'])
    if paired:
        summary['paired_differences'] = paired
    print(f'\n{task}:')
    print_table({k: v for k, v in summary.items() if k != 'paired_differences'}, label)
    for name, d in paired.items():
        print(f'{name}: {d["mean"]:+.1f} +- {d["std"]:.1f} target {label} (same-seed '
              f'differences {d["per_seed"]})')
    return summary


def main():
    args = parse_args()
    work_root = osp.abspath(args.work_dir)
    os.makedirs(work_root, exist_ok=True)
    summary = {}
    for task in args.tasks:
        result = run_task(task, args, work_root)
        if task == 'segmentation':  # at the top level, as before detection existed
            summary.update(result)
        else:
            summary[task] = result
    out = osp.join(work_root, 'summary.json')
    with open(out, 'w') as f:
        json.dump(summary, f, indent=2)
    print(f'\n[demo] written to {out}')


if __name__ == '__main__':
    main()
