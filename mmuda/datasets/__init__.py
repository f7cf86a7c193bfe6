# Copyright (c) mmuda contributors. All rights reserved.
from .acdc import ACDCDataset
from .base_seg import CheckedSegDataset
from .bdd100k import BDD100KDataset
from .cityscapes import CityscapesDataset, GTA5Dataset
from .dark_zurich import DarkZurichDataset
from .class_stats import load_class_stats, write_class_stats
from .image_list import ImageListDataset, Office31Dataset, OfficeHomeDataset, VisDA2017Dataset
from .det_datasets import CheckedCocoDataset, KITTIDetDataset, Sim10kDataset
from .mapillary import MapillaryDataset
from .synthetic import (SyntheticClsDataset, SyntheticDetDataset, SyntheticSegDataset,
                        SyntheticVideoDataset)
from .synthia import SynthiaDataset
from .transforms import LoadSegAnnotations
from .uda_dataset import RareClassSampler, UDADataset
from .video import CityscapesSeqDataset, SynthiaSeqDataset, ViperDataset, VideoSegDataset

__all__ = ['CheckedSegDataset', 'CityscapesDataset', 'GTA5Dataset', 'SyntheticSegDataset',
           'LoadSegAnnotations', 'UDADataset', 'RareClassSampler', 'load_class_stats',
           'write_class_stats', 'Sim10kDataset', 'KITTIDetDataset', 'CheckedCocoDataset',
           'SyntheticDetDataset', 'SynthiaDataset', 'VideoSegDataset', 'CityscapesSeqDataset',
           'ViperDataset', 'SynthiaSeqDataset', 'SyntheticVideoDataset', 'BDD100KDataset',
           'MapillaryDataset', 'ImageListDataset', 'VisDA2017Dataset', 'OfficeHomeDataset',
           'Office31Dataset', 'SyntheticClsDataset']
__all__ += ['ACDCDataset', 'DarkZurichDataset']
