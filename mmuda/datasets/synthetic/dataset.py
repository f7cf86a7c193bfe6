# Copyright (c) mmuda contributors. All rights reserved.
import os.path as osp
from typing import Dict, Optional, Sequence

from mmuda.registry import DATASETS
from ..base_seg import CheckedSegDataset
from .scene import CLASSES, PALETTE
from .writer import domain_dir, domain_params, generate_domain


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
                 **kwargs):
        if split not in ('train', 'val'):
            raise ValueError(f"split must be 'train' or 'val', got {split!r}")
        for key in ('data_prefix', 'img_suffix', 'seg_map_suffix'):
            if key in kwargs:
                raise TypeError(f'SyntheticSegDataset sets {key} itself; remove it from the '
                                'config')
        self.params = domain_params(domain, style or {},
                                    num_images or dict(train=400, val=100), img_size, seed)
        if generate:
            folder = generate_domain(data_root, self.params)
        else:
            folder = domain_dir(data_root, self.params)
        self.domain = domain
        super().__init__(
            data_root=folder,
            data_prefix=dict(img_path=osp.join('images', split),
                             seg_map_path=osp.join('labels', split)),
            img_suffix='.png', seg_map_suffix='.png', **kwargs)
