# Copyright (c) mmuda contributors. All rights reserved.
"""Time the training iterations of a config: data wait, each pass of a UDA step, peak memory,
and the ratio "UDA step time / sum of its passes timed alone".

    python tools/analysis_tools/benchmark_train.py CONFIG [--iters 30] [--warmup 5]
        [--cfg-options ...] [--out result.json]

The model is built and trained exactly as tools/train.py would (same Runner, data loader,
optimizer wrapper and hooks), for ``--warmup`` + ``--iters`` iterations, in a temporary work
dir. Per-pass times come from the model's own ``timed`` sections (source, teacher, mix,
masked, ...), measured inside the full step. The passes are then timed *alone*: each is run
``--iters`` times on its own (the same code, the passes it depends on run untimed first),
and the ratio step / sum(alone) shows what the step costs beyond its passes (EMA update,
hooks, augmentation, synchronisation). On CUDA each time is taken after a synchronisation.
"""
import argparse
import json
import tempfile
import time

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from mmuda.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--iters', type=int, default=30)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--out', help='write the results as JSON here')
    return parser.parse_args()


def _sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _peak_memory_mb():
    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # host RSS


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = tempfile.mkdtemp(prefix='benchmark_train_')
    cfg.log_level = 'WARNING'
    cfg.default_hooks.pop('checkpoint', None)
    cfg.default_hooks.pop('visualization', None)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.train_cfg.max_iters = args.warmup + args.iters
    runner = Runner.from_cfg(cfg)
    runner._train_loop = runner.build_train_loop(runner._train_loop)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.scale_lr(runner.optim_wrapper, runner.auto_scale_lr)
    runner.param_schedulers = runner.build_param_scheduler(runner.param_schedulers)
    runner._init_model_weights()
    runner.call_hook('before_run')
    runner.call_hook('before_train')
    runner.call_hook('before_train_epoch')
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    model.train()
    # the loop's own iterator (restarts the loader when an epoch of the sampler ends)
    loader = runner.train_loop.dataloader_iterator

    data_wait, step, hooks = [], [], []
    timing = hasattr(model, 'pass_times')
    for i in range(args.warmup + args.iters):
        start = time.perf_counter()
        batch = next(loader)
        data_wait.append(time.perf_counter() - start)
        if i == args.warmup and timing:
            model.pass_times = {}
        _sync()
        start = time.perf_counter()
        # the step as the training loop runs it, hooks included (e.g. the EMA teacher update)
        runner.call_hook('before_train_iter', batch_idx=i, data_batch=batch)
        _sync()
        hook_time = time.perf_counter() - start
        outputs = runner.model.train_step(batch, optim_wrapper=runner.optim_wrapper)
        _sync()
        after = time.perf_counter()
        runner.call_hook('after_train_iter', batch_idx=i, data_batch=batch, outputs=outputs)
        _sync()
        end = time.perf_counter()
        step.append(end - start)
        hooks.append(hook_time + end - after)
        runner.train_loop._iter += 1
    times = (model.pass_times or {}) if timing else {}
    sections = getattr(model, 'step_sections', ())
    nested = getattr(model, 'nested_sections', ())  # timed inside a pass (e.g. grouping)
    passes = {k: v for k, v in times.items() if k not in sections and k not in nested}
    other = {k: v for k, v in times.items() if k in sections}
    within = {k: v for k, v in times.items() if k in nested}

    # each pass alone: the same code path with the rest of the step skipped (the passes it
    # depends on run untimed first)
    alone = {}
    for i in range(args.iters if passes else 0):
        data = model.data_preprocessor(next(loader), True)
        for name in passes:
            model.pass_times = {}
            model.run_pass_alone(name, data['inputs'], data['data_samples'],
                                 runner.optim_wrapper)
            alone.setdefault(name, []).extend(model.pass_times[name])
            runner.optim_wrapper.zero_grad()
    model.pass_times = None

    steady = slice(args.warmup, None)
    result = dict(
        config=args.config, device='cuda' if torch.cuda.is_available() else 'cpu',
        iters=args.iters,
        data_wait_s=float(np.mean(data_wait[steady])),
        step_s=float(np.mean(step[steady])),
        passes_in_step_s={k: float(np.mean(v)) for k, v in passes.items()},
        passes_alone_s={k: float(np.mean(v)) for k, v in alone.items()},
        # the rest of the step: pre-processing, optimizer step (+ gradient all-reduce), hooks
        other_in_step_s={k: float(np.mean(v)) for k, v in other.items()},
        # parts of passes, per call (e.g. ViSGA's clustering, once per domain pass)
        within_passes_s={k: float(np.mean(v)) for k, v in within.items()},
        hooks_s=float(np.mean(hooks[steady])),
        peak_memory_mb=round(_peak_memory_mb(), 1))
    if alone:
        result['step_over_sum_of_passes_alone'] = result['step_s'] / sum(
            result['passes_alone_s'].values())
    print(json.dumps(result, indent=2))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)


if __name__ == '__main__':
    main()
