# Copyright (c) mmuda contributors. All rights reserved.
"""Loss / metric curves of training runs, and their iteration times, from mmengine's logs.

    python tools/analysis_tools/analyze_logs.py plot_curve RUN [RUN ...] [--keys loss mIoU]
        [--legend NAME ...] [--title TITLE] [--out curves.png]
    python tools/analysis_tools/analyze_logs.py cal_train_time RUN [RUN ...]
        [--include-outliers]

RUN is a ``scalars.json`` (one JSON object per line, ``<work_dir>/<timestamp>/vis_data/``),
a ``<timestamp>`` folder or a work dir; a work dir with several runs (a resumed training) is
read oldest first, a later run replacing the steps it logged again. Train rows hold ``loss``,
``lr``, ``time``, ``iter`` and each loss term (``src.decode.loss_ce``, ``mix.decode.loss_ce``,
...); validation rows the metrics (``mIoU``, ``coco/bbox_mAP_50``, ...). Each key gets its own
panel, with one curve per run (validation metrics drawn with markers); the x axis is mmengine's
``step`` (the iteration). Modelled on mmseg's / mmdet's ``analyze_logs.py``.
"""
import argparse
import glob
import json
import os.path as osp
from typing import Dict, List

import matplotlib.pyplot as plt
import numpy as np

#: keys of the bookkeeping, not curves
INDEX_KEYS = ('step', 'iter', 'epoch')


def find_scalars(path: str) -> List[str]:
    """The ``scalars.json`` files of a run path (file, timestamp folder or work dir), oldest
    first."""
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise SystemExit(f'{path!r} does not exist; expected a scalars.json, a run folder '
                         f'(<work_dir>/<timestamp>) or a work dir')
    own = osp.join(path, 'vis_data', 'scalars.json')
    if osp.isfile(own):
        return [own]
    files = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise SystemExit(f'found no <timestamp>/vis_data/scalars.json under {path!r}; is it '
                         f'a work dir of tools/train.py (mmengine writes the file there)?')
    return files


def load_run(path: str) -> List[dict]:
    """The rows of a run, in logging order (several files: concatenated, oldest first)."""
    rows = []
    for file in find_scalars(path):
        with open(file) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise SystemExit(f'{file}:{number} is not a JSON line ({error}); expected '
                                     f'mmengine\'s scalars.json, one JSON object per line')
    if not rows:
        raise SystemExit(f'{path!r} holds no logged rows')
    return rows


def run_name(path: str) -> str:
    """A short name of a run: its work dir's name."""
    path = osp.abspath(path)
    if osp.basename(path) == 'scalars.json':
        path = osp.dirname(osp.dirname(osp.dirname(path)))  # <work_dir>/<timestamp>/vis_data
    elif osp.isfile(osp.join(path, 'vis_data', 'scalars.json')):
        path = osp.dirname(path)
    return osp.basename(path)


def series(rows: List[dict], key: str):
    """(steps, values, is_validation) of one key, from the train rows if any holds it, else
    from the validation rows (mmengine's carry no 'iter'; both hold e.g. 'time'). A step
    logged again replaces the earlier value (a resumed run)."""
    train: Dict[float, float] = {}
    val: Dict[float, float] = {}
    for index, row in enumerate(rows):
        if key in row:
            (train if 'iter' in row else val)[row.get('step', index)] = row[key]
    values = train or val
    steps = sorted(values)
    return np.array(steps), np.array([values[s] for s in steps], dtype=float), not train


def logged_keys(runs: List[List[dict]]) -> List[str]:
    return sorted({k for rows in runs for row in rows for k in row} - set(INDEX_KEYS))


def plot_curve(args, runs: List[List[dict]]) -> None:
    available = logged_keys(runs)
    missing = [k for k in args.keys if k not in available]
    if missing:
        raise SystemExit(f'no run logs the key(s) {missing}; the logged keys are: '
                         f'{", ".join(available)}')
    names = [run_name(p) for p in args.runs]
    if len(set(names)) < len(names):
        names = list(args.runs)
    legend = args.legend or names
    if len(legend) not in (len(runs), len(runs) * len(args.keys)):
        raise SystemExit(f'--legend got {len(legend)} name(s); expected one per run '
                         f'({len(runs)}) or one per run and key ({len(runs) * len(args.keys)})')
    fig, axes = plt.subplots(len(args.keys), 1, figsize=(8, 3 * len(args.keys)), sharex=True,
                             squeeze=False)
    for j, key in enumerate(args.keys):
        ax = axes[j, 0]
        for i, rows in enumerate(runs):
            steps, values, val = series(rows, key)
            if not len(steps):
                print(f'{args.runs[i]} does not log {key!r}: no curve')
                continue
            label = legend[i] if len(legend) == len(runs) else legend[i * len(args.keys) + j]
            if val:
                ax.plot(steps, values, marker='o', label=label)
            else:
                ax.plot(steps, values, linewidth=0.8, label=label)
        ax.set_ylabel(key)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize='small')
    axes[-1, 0].set_xlabel('iteration')
    if args.title:
        fig.suptitle(args.title)
    fig.tight_layout()
    out_dir = osp.dirname(osp.abspath(args.out))
    if not osp.isdir(out_dir):
        raise SystemExit(f'the folder of --out {args.out!r} does not exist')
    fig.savefig(args.out, dpi=args.dpi)
    plt.close(fig)
    print(f'saved the curves of {args.keys} to {args.out}')


def cal_train_time(args, runs: List[List[dict]]) -> None:
    for path, rows in zip(args.runs, runs):
        train = [r for r in rows if 'time' in r and 'iter' in r]
        if not args.include_outliers:
            train = train[1:]  # the first window holds the start-up (data workers, caches)
        if not train:
            raise SystemExit(f'{path}: no train rows with a time (or only the first one, left '
                             f'out as an outlier: --include-outliers keeps it)')
        times = np.array([r['time'] for r in train])
        steps = [r.get('step', r['iter']) for r in train]
        last = max(r.get('step', r['iter']) for r in rows if 'iter' in r)
        print(f'----- train time of {path} -----')
        print(f'slowest logged window: step {steps[times.argmax()]}, {times.max():.4f} s/iter')
        print(f'fastest logged window: step {steps[times.argmin()]}, {times.min():.4f} s/iter')
        print(f'time std over windows: {times.std():.4f} s/iter')
        if all('data_time' in r for r in train):
            print(f'average data time: {np.mean([r["data_time"] for r in train]):.4f} s/iter')
        print(f'average iter time: {times.mean():.4f} s/iter; {last} iterations: about '
              f'{times.mean() * last / 3600:.2f} h\n')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='task', required=True)
    plot = sub.add_parser('plot_curve', help='plot curves of logged keys to a PNG')
    plot.add_argument('runs', nargs='+', help='scalars.json files, run folders or work dirs')
    plot.add_argument('--keys', nargs='+', default=['loss'],
                      help='the logged keys to plot (default: loss)')
    plot.add_argument('--legend', nargs='+',
                      help='names of the runs (default: their work dirs\' names)')
    plot.add_argument('--title', help='title of the figure')
    plot.add_argument('--out', default='curves.png', help='the PNG to write')
    plot.add_argument('--dpi', type=int, default=120)
    timing = sub.add_parser('cal_train_time', help='summarise the logged iteration times')
    timing.add_argument('runs', nargs='+', help='scalars.json files, run folders or work dirs')
    timing.add_argument('--include-outliers', action='store_true',
                        help='keep the first logged window (start-up) in the statistics')
    return parser.parse_args()


def main():
    args = parse_args()
    plt.switch_backend('Agg')  # files only, no display
    runs = [load_run(path) for path in args.runs]
    if args.task == 'plot_curve':
        plot_curve(args, runs)
    else:
        cal_train_time(args, runs)


if __name__ == '__main__':
    main()
