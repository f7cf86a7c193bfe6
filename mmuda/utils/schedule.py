# Copyright (c) mmuda contributors. All rights reserved.
"""Shortening a config's iteration schedule (quick checks, tests, the demo's ``--iters``)."""
from typing import List, Sequence


def short_schedule_options(param_scheduler: Sequence[dict], max_iters: int, iters: int,
                           warmup: int) -> List[str]:
    """``--cfg-options`` that fit a config's warm-up + decay schedule (``param_scheduler``,
    written for ``max_iters`` iterations) into ``iters`` iterations with a ``warmup``-iteration
    warm-up, keeping its form.

    The first scheduler is the warm-up, the others decay until the end (a single scheduler
    without ``begin`` / ``end``, e.g. ``InverseDecayLR``, does not depend on the run's length
    and is kept). Two forms exist:

    - DAFormer's (adamw_poly_40k.py): every scheduler starts at 0 and the warm-up factor is
      multiplied on top of the decay; the ends are one past the warm-up and the run
      (an mmengine scheduler reaches its final value at step ``end - 1``);
    - a decay that starts when the warm-up ends (``begin > 0``).
    """
    if len(param_scheduler) == 1 and 'end' not in param_scheduler[0] and \
            'begin' not in param_scheduler[0]:
        return []  # one open-ended schedule (the classification inverse decay): nothing to fit
    if not 0 < warmup < iters:
        raise ValueError(f'need 0 < warmup < iters, got warmup={warmup}, iters={iters}')
    decays = list(param_scheduler[1:])
    chained = any(s.get('begin', 0) == 0 for s in decays)
    opts = [f'param_scheduler.0.end={warmup + int(chained)}']
    for i, scheduler in enumerate(decays, start=1):
        if scheduler.get('begin', 0) > 0:
            opts.append(f'param_scheduler.{i}.begin={warmup}')
        past_end = scheduler.get('end', max_iters) - max_iters  # 1 in DAFormer's form
        opts.append(f'param_scheduler.{i}.end={iters + past_end}')
    return opts
