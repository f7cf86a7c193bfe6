# Copyright (c) mmuda contributors. All rights reserved.
"""Dark Zurich (Sakaridis et al., ICCV 2019 / TPAMI 2020), the night-time target of
Cityscapes -> Dark Zurich, with the 19 Cityscapes classes.

Dark Zurich as released (``Dark_Zurich_train_anon.zip``, ``Dark_Zurich_val_anon.zip``,
``Dark_Zurich_test_anon_withoutGt.zip`` from trace.ethz.ch/publications/2019/GCMA_UIoU) holds
1920 x 1080 images, one folder per split, time of day and recording::

    rgb_anon/train/{day,twilight,night}/<sequence>/*_rgb_anon.png    no labels
    rgb_anon/val/night/<sequence>/*_rgb_anon.png                     50 images
    gt/val/night/<sequence>/*_gt_labelIds.png                        Cityscapes label ids
    rgb_anon/test/night/<sequence>/*_rgb_anon.png                    labels withheld
    rgb_anon/{val,test}_ref/day/<sequence>_ref/...                   day-time references

The MIC / HRDA / DAFormer reference (lhoyer/MIC,
seg/configs/_base_/datasets/uda_cityscapes*_to_darkzurich*.py) trains on the night images of
the train split only (``rgb_anon/train/night``), validates on ``rgb_anon/val`` with
``gt/val`` (the night recording) and reports the test split through the benchmark's server
(:mod:`mmuda.evaluation.test_server`). ``tools/dataset_converters/dark_zurich.py`` writes the
train-id maps ``*_gt_labelTrainIds.png`` read here.
"""
import os.path as osp

from mmuda.registry import DATASETS
from .acdc import ConditionSplitSegDataset

DARK_ZURICH_TIMES = ('day', 'twilight', 'night')
DARK_ZURICH_SPLITS = ('train', 'val', 'test')


@DATASETS.register_module()
class DarkZurichDataset(ConditionSplitSegDataset):
    """Dark Zurich with the 19 Cityscapes classes (1920 x 1080 images).

    Layout (``data_root``, e.g. ``data/dark_zurich``), as released:
    ``rgb_anon/<split>/<time of day>/<sequence>/*_rgb_anon.png`` and, for the val split,
    ``gt/val/night/<sequence>/*_gt_labelTrainIds.png`` (written by
    ``tools/dataset_converters/dark_zurich.py`` beside the released ``*_gt_labelIds.png``).

    Args:
        split (str): 'train' (no labels), 'val' or 'test' (no labels). Defaults to 'val'.
        conditions (sequence[str] | None): times of day, of 'day', 'twilight', 'night';
            default ('night', ), the reference's target (val and test hold night only).
            None: ``data_prefix`` names the folders themselves.
        with_labels (bool, optional): defaults to True for val only.
        **kwargs: see :class:`mmuda.datasets.acdc.ConditionSplitSegDataset`.
    """
    NAME = 'Dark Zurich'
    CONDITIONS = DARK_ZURICH_TIMES
    DEFAULT_CONDITIONS = ('night', )
    SPLITS = DARK_ZURICH_SPLITS
    LABELLED_SPLITS = ('val', )
    LAYOUT = ('Dark Zurich extracted as <data_root>/rgb_anon/<split>/<time of day>/<sequence>/'
              '*_rgb_anon.png and <data_root>/gt/val/night/<sequence>/*_gt_labelIds.png '
              '(Dark_Zurich_{train,val}_anon.zip, Dark_Zurich_test_anon_withoutGt.zip)')
    CONVERTER = 'python tools/dataset_converters/dark_zurich.py <data_root>'

    def condition_folder(self, condition: str) -> str:
        return osp.join(self.split, condition)
