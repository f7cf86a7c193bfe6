# Copyright (c) mmuda contributors. All rights reserved.
"""Look at what a config trains on: the samples of its train data loader after the pipelines,
drawn with their labels.

    python tools/analysis_tools/browse_dataset.py CONFIG [--output-dir DIR] [--not-show]
        [-n 10] [--show-interval 2] [--seed 0] [--cfg-options ...]

A ``UDADataset`` item holds a source and a target sample (each after its own pipeline: the
target's usually loads no labels); both are drawn, as ``<index>_source_<image>.png`` and
``<index>_target_<image>.png``; an item of a plain dataset as ``<index>_<image>.png``.
Segmentation labels are drawn as a palette overlay (mmseg's ``SegLocalVisualizer``), boxes with
their class (mmdet's ``DetLocalVisualizer``); a sample without labels is written as it is.
"""
import argparse
import os
import os.path as osp

import mmcv
import numpy as np
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import BaseBoxes
from mmdet.visualization import DetLocalVisualizer
from mmengine.config import DictAction
from mmengine.runner import set_random_seed
from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer

from mmuda.registry import DATASETS
from mmuda.utils import register_all_modules
from mmuda.utils.config_check import load_config


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--output-dir', help='write the drawn samples here (PNG)')
    parser.add_argument('--not-show', action='store_true', help='do not open a window')
    parser.add_argument('-n', '--num-items', type=int, default=10,
                        help='dataset items to draw (a UDA item: a source and a target sample)')
    parser.add_argument('--show-interval', type=float, default=2,
                        help='seconds each sample is shown')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the pipelines\' random transforms and target draws')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override some settings in the config, key=value')
    return parser.parse_args()


def streams(item: dict):
    """(stream name, image tensor, data sample) of each sample of a dataset item; a UDA item
    holds 'source' and 'target'."""
    inputs, samples = item['inputs'], item['data_samples']
    if isinstance(inputs, dict):
        return [(name, inputs[name], samples[name]) for name in inputs]
    return [('', inputs, samples)]


class Drawer:
    """Draws samples with the visualiser of their task, built on first use."""

    def __init__(self, metainfo: dict, show: bool, wait_time: float):
        self.metainfo, self.show, self.wait_time = metainfo, show, wait_time
        self.visualizers = {}

    def _visualizer(self, sample):
        if not isinstance(sample, (SegDataSample, DetDataSample)):
            raise SystemExit(f'cannot draw a {type(sample).__name__}; expected the '
                             f'SegDataSample / DetDataSample of mmseg\'s / mmdet\'s packing '
                             f'transforms at the end of the pipeline')
        kind = SegLocalVisualizer if isinstance(sample, SegDataSample) else DetLocalVisualizer
        if kind not in self.visualizers:
            visualizer = kind(name=f'browse_dataset_{kind.__name__}')
            visualizer.dataset_meta = self.metainfo
            self.visualizers[kind] = visualizer
        return self.visualizers[kind]

    def __call__(self, name: str, image: np.ndarray, sample, out_file: str = None):
        visualizer = self._visualizer(sample)
        if 'gt_instances' in sample and isinstance(sample.gt_instances.get('bboxes'),
                                                   BaseBoxes):
            sample.gt_instances.bboxes = sample.gt_instances.bboxes.tensor
        if 'gt_sem_seg' in sample or 'gt_instances' in sample:
            visualizer.add_datasample(name, image, sample, draw_gt=True, draw_pred=False,
                                      show=self.show, wait_time=self.wait_time,
                                      out_file=out_file)
            return
        # no labels (the UDA target stream): the image as the model sees it
        if self.show:
            visualizer.show(image, win_name=name, wait_time=self.wait_time)
        if out_file:
            mmcv.imwrite(mmcv.rgb2bgr(image), out_file)


def main():
    args = parse_args()
    if args.not_show and not args.output_dir:
        raise SystemExit('nothing to do: with --not-show, give --output-dir')
    if args.num_items < 1:
        raise SystemExit(f'-n must be at least 1, got {args.num_items}')
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    if not cfg.get('train_dataloader') or not cfg.train_dataloader.get('dataset'):
        raise SystemExit(f'{args.config} has no train_dataloader.dataset')
    set_random_seed(args.seed)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    draw = Drawer(dataset.metainfo, show=not args.not_show, wait_time=args.show_interval)
    if args.output_dir:
        os.makedirs(args.output_dir, exist_ok=True)
    written = 0
    for index in range(min(args.num_items, len(dataset))):
        for stream, inputs, sample in streams(dataset[index]):
            image = np.ascontiguousarray(inputs.permute(1, 2, 0).numpy()[..., ::-1])  # RGB
            stem = osp.splitext(osp.basename(sample.img_path))[0]
            name = f'{index:04d}_{stream + "_" if stream else ""}{stem}'
            out_file = osp.join(args.output_dir, name + '.png') if args.output_dir else None
            draw(name, image, sample, out_file)
            written += out_file is not None
    if args.output_dir:
        print(f'wrote {written} image(s) to {osp.abspath(args.output_dir)}')


if __name__ == '__main__':
    main()
