# Copyright (c) mmuda contributors. All rights reserved.
"""The confusion matrix of a segmentation model's saved predictions on a config's test split.

    python tools/test.py CONFIG CHECKPOINT --out PRED_DIR        # one label PNG per image
    python tools/analysis_tools/confusion_matrix.py CONFIG PRED_DIR SAVE_DIR
        [--split test|val] [--save-matrix] [--title T] [--color-theme OrRd] [--cfg-options ...]

Each prediction ``PRED_DIR/<image name>.png`` (as mmseg's ``IoUMetric`` writes them with
``output_dir``) is compared with the label map of its image, read as the test pipeline reads it;
pixels of the ignore index (255) are left out. Rows are the ground truth, columns the
prediction. Writes ``SAVE_DIR/confusion_matrix.png`` (each row normalised to the percentage of
that class's pixels) and, with ``--save-matrix``, ``SAVE_DIR/confusion_matrix.json`` (the pixel
counts and the class names); prints the per-class IoU and mIoU the matrix implies (the
``IoUMetric`` numbers of the same predictions).
"""
import argparse
import json
import os
import os.path as osp

import matplotlib.pyplot as plt
import numpy as np
from mmengine.config import DictAction

from mmuda.datasets.label_check import (bad_label_ids, decode_label, label_id_message, map_label,
                                        seg_label_args)
from mmuda.registry import DATASETS
from mmuda.utils import register_all_modules
from mmuda.utils.config_check import load_config


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='the config the predictions were made with')
    parser.add_argument('prediction_dir', help='the label PNGs of tools/test.py --out')
    parser.add_argument('save_dir', help='where confusion_matrix.png (and .json) are written')
    parser.add_argument('--split', choices=('test', 'val'), default='test',
                        help='the data loader whose dataset was predicted')
    parser.add_argument('--save-matrix', action='store_true',
                        help='also write the raw pixel counts to confusion_matrix.json')
    parser.add_argument('--title', default='Normalized confusion matrix')
    parser.add_argument('--color-theme', default='OrRd', help='a matplotlib colour map')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override some settings in the config, key=value')
    return parser.parse_args()


def prediction_files(dataset, prediction_dir: str):
    """(label path, prediction path) of every image; SystemExit naming the missing
    predictions."""
    pairs, missing = [], []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        name = osp.splitext(osp.basename(info['img_path']))[0] + '.png'
        pred = osp.join(prediction_dir, name)
        pairs.append((info['seg_map_path'], pred))
        if not osp.isfile(pred):
            missing.append(pred)
    if missing:
        raise SystemExit(
            f'{len(missing)} of the {len(pairs)} prediction(s) are missing, e.g. '
            f'{missing[0]!r}; expected one label PNG per image of the dataset, named like the '
            f'image (python tools/test.py CONFIG CHECKPOINT --out {prediction_dir} writes '
            f'them)')
    return pairs


def confusion_matrix(pairs, num_classes: int, ignore_index: int = 255,
                     reduce_zero_label: bool = False, label_map=None, **decode) -> np.ndarray:
    """Pixel counts ``[ground truth, prediction]`` over the (label, prediction) file pairs."""
    matrix = np.zeros((num_classes, num_classes), np.int64)
    for label_path, pred_path in pairs:
        try:
            gt = decode_label(label_path, **decode)
            pred = decode_label(pred_path)
        except IOError as error:
            raise SystemExit(f'{label_path!r} or {pred_path!r} {error}')
        gt = map_label(gt.astype(np.uint8), reduce_zero_label, label_map)
        ids, pixels = bad_label_ids(gt, num_classes, ignore_index)
        if ids:
            raise SystemExit(f'the label file {label_path!r} '
                             f'{label_id_message(ids, pixels, num_classes, ignore_index)}')
        if pred.shape != gt.shape:
            raise SystemExit(f'the prediction {pred_path!r} is {pred.shape[::-1]} (w, h) but its '
                             f'label {label_path!r} is {gt.shape[::-1]}; expected the size of '
                             f'the label')
        pred = pred.astype(np.int64)
        if reduce_zero_label:  # IoUMetric saves the prediction + 1
            pred = pred - 1
        bad = (pred < 0) | (pred >= num_classes)
        if bad.any():
            raise SystemExit(f'the prediction {pred_path!r} holds id(s) '
                             f'{np.unique(pred[bad]).tolist()}; expected class ids 0..'
                             f'{num_classes - 1}')
        valid = gt != ignore_index
        matrix += np.bincount(gt[valid].astype(np.int64) * num_classes + pred[valid],
                              minlength=num_classes**2).reshape(num_classes, num_classes)
    return matrix


def plot_confusion_matrix(matrix: np.ndarray, classes, out_file: str, title: str,
                          color_theme: str = 'OrRd') -> None:
    """Each row as the percentage of its ground-truth pixels (a class without pixels: blank)."""
    rows = matrix.sum(axis=1, keepdims=True)
    with np.errstate(invalid='ignore', divide='ignore'):
        percent = np.where(rows > 0, matrix / np.maximum(rows, 1) * 100, np.nan)
    n = len(classes)
    size = max(4.0, 0.55 * n + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(percent, cmap=plt.get_cmap(color_theme), vmin=0, vmax=100)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label='% of the ground-truth pixels')
    ax.set_xticks(np.arange(n), labels=classes, rotation=45, ha='left',
                  rotation_mode='anchor')
    ax.set_yticks(np.arange(n), labels=classes)
    ax.tick_params(top=True, bottom=False, labeltop=True, labelbottom=False)
    ax.set_xlabel('prediction')
    ax.set_ylabel('ground truth')
    ax.set_title(title)
    for i in range(n):
        for j in range(n):
            if not np.isnan(percent[i, j]):
                ax.text(j, i, f'{percent[i, j]:.1f}', ha='center', va='center',
                        color='white' if percent[i, j] > 60 else 'black',
                        fontsize=max(5, 10 - n // 5))
    fig.tight_layout()
    fig.savefig(out_file, dpi=150)
    plt.close(fig)


def iou_table(matrix: np.ndarray, classes) -> str:
    inter = np.diag(matrix).astype(float)
    union = matrix.sum(0) + matrix.sum(1) - inter
    with np.errstate(invalid='ignore', divide='ignore'):
        iou = np.where(union > 0, inter / union, np.nan) * 100
    lines = [f'{c:>16s}: {v:6.2f}' for c, v in zip(classes, iou)]
    total = matrix.sum()
    lines.append(f'{"mIoU":>16s}: {np.nanmean(iou):6.2f}')
    lines.append(f'{"aAcc":>16s}: {inter.sum() / max(total, 1) * 100:6.2f}')
    return '\n'.join(lines)


def main():
    args = parse_args()
    plt.switch_backend('Agg')  # files only, no display
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    if not osp.isdir(args.prediction_dir):
        raise SystemExit(f'the prediction folder {args.prediction_dir!r} does not exist; write '
                         f'it with python tools/test.py CONFIG CHECKPOINT --out '
                         f'{args.prediction_dir}')
    loader = cfg.get(f'{args.split}_dataloader')
    if not loader or not loader.get('dataset'):
        raise SystemExit(f'the config has no {args.split}_dataloader.dataset')
    dataset = DATASETS.build(loader['dataset'])
    label_args = seg_label_args(dataset)
    classes = list(dataset.metainfo['classes'])
    pairs = prediction_files(dataset, args.prediction_dir)
    matrix = confusion_matrix(pairs, **label_args)
    os.makedirs(args.save_dir, exist_ok=True)
    plot_confusion_matrix(matrix, classes, osp.join(args.save_dir, 'confusion_matrix.png'),
                          args.title, args.color_theme)
    if args.save_matrix:
        with open(osp.join(args.save_dir, 'confusion_matrix.json'), 'w') as f:
            json.dump(dict(classes=classes, rows='ground truth', columns='prediction',
                           ignore_index=label_args['ignore_index'],
                           matrix=matrix.tolist()), f, indent=1)
    print(f'{len(pairs)} image(s), {int(matrix.sum())} labelled pixel(s); IoU (%) from the '
          f'matrix:\n{iou_table(matrix, classes)}')
    print(f'saved the confusion matrix to {args.save_dir}')


if __name__ == '__main__':
    main()
