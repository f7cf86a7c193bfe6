# Copyright (c) mmuda contributors. All rights reserved.
import os.path as osp
from typing import Dict, Optional, Sequence

from mmuda.registry import DATASETS
from ..base_seg import CheckedSegDataset
from ..det_datasets import CheckedCocoDataset
from ..video import VideoSegDataset
from .scene import CLASSES, DET_CLASSES, PALETTE
from .video import (FLOW_DIR, FRAME_DIR, FRAME_SUFFIX, LABEL_DIR, LABEL_SUFFIX, SPLITS,
                    ensure_video_domain)
from .writer import domain_dir, domain_params, generate_domain


#: the arguments that describe a synthetic domain and one split of it, with their defaults
DOMAIN_ARGS = dict(style=None, split='train', num_images=None, img_size=(128, 256), seed=0,
                   generate=True, data_root='data/synthetic')


def prepare_domain(dataset_name: str, domain: str, style: Optional[Dict], split: str,
                   num_images: Optional[Dict[str, int]], img_size: Sequence[int], seed: int,
                   generate: bool, data_root: str, kwargs: dict, own_keys) -> tuple:
    """Check the arguments of a synthetic dataset and generate its domain if asked;
    returns (generation parameters, domain folder)."""
    if split not in ('train', 'val'):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    for key in own_keys:
        if key in kwargs:
            raise TypeError(f'{dataset_name} sets {key} itself; remove it from the config')
    params = domain_params(domain, style or {}, num_images or dict(train=400, val=100),
                           img_size, seed)
    folder = generate_domain(data_root, params) if generate else domain_dir(data_root, params)
    return params, folder


@DATASETS.register_module()
class SyntheticSegDataset(CheckedSegDataset):
    """One split of an embedded synthetic street-scene domain.

    The domain (images and train-id label PNGs) is generated on first use under
    ``data_root/<domain>-<hash>/`` and read back with mmseg's normal loading pipeline, so the
    real I/O path is exercised. Its appearance and layout come from ``style`` (see
    :data:`mmuda.datasets.synthetic.scene.DEFAULT_STYLE` for every key), so a new domain shift
    is a config edit.

    Args:
        domain (str): name of the domain, e.g. 'source', 'target', 'target_fog'. Part of the
            folder name and of the random seed, so two domains never share layouts.
        style (dict): style keys merged over the defaults.
        split (str): 'train' or 'val'.
        num_images (dict): number of images per split, e.g. ``dict(train=400, val=100)``.
        img_size (tuple): (height, width) of the images.
        seed (int): generation seed; the same parameters give the same files.
        generate (bool): generate the domain if it is missing. If False, a missing domain is
            an error.
        data_root (str): the folder holding the generated domains.
        check_labels (bool): read every label map once at initialisation and refuse ids
            outside the classes (see :class:`~mmuda.datasets.CheckedSegDataset`). A few
            hundred small PNGs: a fraction of a second. Defaults to True.
        **kwargs: passed to mmseg's ``BaseSegDataset`` (pipeline, test_mode, ...).
    """
    METAINFO = dict(classes=CLASSES, palette=PALETTE)

    def __init__(self,
                 domain: str,
                 style: Optional[Dict] = None,
                 split: str = 'train',
                 num_images: Optional[Dict[str, int]] = None,
                 img_size: Sequence[int] = (128, 256),
                 seed: int = 0,
                 generate: bool = True,
                 data_root: str = 'data/synthetic',
                 check_labels: bool = True,
                 **kwargs):
        self.params, folder = prepare_domain(
            type(self).__name__, domain, style, split, num_images, img_size, seed, generate,
            data_root, kwargs, ('data_prefix', 'img_suffix', 'seg_map_suffix'))
        self.domain = domain
        super().__init__(
            data_root=folder,
            data_prefix=dict(img_path=osp.join('images', split),
                             seg_map_path=osp.join('labels', split)),
            img_suffix='.png', seg_map_suffix='.png', check_labels=check_labels, **kwargs)


@DATASETS.register_module()
class SyntheticDetDataset(CheckedCocoDataset):
    """One split of an embedded synthetic domain as a detection dataset: the boxes of its
    visible cars and persons (``annotations/instances_<split>.json``, COCO format, the layout
    ``tools/dataset_converters/cityscapes_to_coco.py`` writes), read with mmdet's COCO
    loading and metric. Same arguments as :class:`SyntheticSegDataset` (the same domain
    folder serves both tasks); the rest go to mmdet's ``CocoDataset``.
    """
    # mmdet's visualiser takes a class colour only as a tuple
    METAINFO = dict(classes=DET_CLASSES, palette=[tuple(PALETTE[CLASSES.index(c)])
                                                  for c in DET_CLASSES])

    def __init__(self, domain: str, **kwargs):
        domain_args = {k: kwargs.pop(k) for k in DOMAIN_ARGS if k in kwargs}
        split = domain_args.get('split', DOMAIN_ARGS['split'])
        self.params, folder = prepare_domain(type(self).__name__, domain,
                                             **dict(DOMAIN_ARGS, **domain_args),
                                             kwargs=kwargs, own_keys=('data_prefix', 'ann_file'))
        self.domain = domain
        super().__init__(data_root=folder, ann_file=f'annotations/instances_{split}.json',
                         data_prefix=dict(img=f'images/{split}/'), **kwargs)


@DATASETS.register_module()
class SyntheticVideoDataset(VideoSegDataset):
    """One split of an embedded synthetic VIDEO domain (clips of the street scenes with a label
    for every frame and the exact backward optical flow, :mod:`.video`), read as a video
    dataset in the Cityscapes-Seq layout: every frame with enough frames before it in its
    clip is a sample (frame t, t-1 and the flow of t; with ``tps_offset`` also t-I, t-I-1).

    Args:
        domain (str): name of the domain ('source', 'target', ...).
        style (dict): style keys (the still domains' styles).
        split (str): 'train' or 'val'.
        num_clips (dict): clips per split. Defaults to ``dict(train=80, val=20)``.
        frames_per_clip (int): frames of each clip. Defaults to 5.
        img_size (tuple): (height, width). Defaults to (128, 256).
        seed (int): generation seed. Defaults to 0.
        motion (dict): motion keys (:data:`~.video.DEFAULT_MOTION`).
        data_root (str): the folder holding the generated domains.
        **kwargs: passed to :class:`~mmuda.datasets.VideoSegDataset` (``tps_offset``,
            pipeline, ...).
    """
    METAINFO = dict(classes=CLASSES, palette=PALETTE)
    CONVERTER = 'mmuda.datasets.synthetic.ensure_video_domain'

    def __init__(self, domain: str, style: Optional[Dict] = None, split: str = 'train',
                 num_clips: Optional[Dict[str, int]] = None, frames_per_clip: int = 5,
                 img_size: Sequence[int] = (128, 256), seed: int = 0,
                 motion: Optional[Dict] = None, data_root: str = 'data/synthetic', **kwargs):
        if split not in SPLITS:
            raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
        for key in ('data_prefix', 'img_suffix', 'seg_map_suffix'):
            if key in kwargs:
                raise TypeError(f'SyntheticVideoDataset sets {key} itself; remove it from the '
                                f'config')
        folder = ensure_video_domain(data_root, domain, style or {},
                                     num_clips or dict(train=80, val=20), frames_per_clip,
                                     img_size, seed, motion)
        self.domain = domain
        super().__init__(
            data_root=folder,
            data_prefix=dict(img_path=osp.join(FRAME_DIR, split),
                             seg_map_path=osp.join(LABEL_DIR, split),
                             flow_root=osp.join(FLOW_DIR, split)),
            img_suffix=FRAME_SUFFIX, seg_map_suffix=LABEL_SUFFIX, **kwargs)
