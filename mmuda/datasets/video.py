# Copyright (c) mmuda contributors. All rights reserved.
"""Video semantic segmentation datasets for video UDA (DA-VSN, ICCV 2021; TPS, ECCV 2022):
VIPER and SYNTHIA-Seq (sources) and Cityscapes-Seq (target).

A sample is an annotated frame t with its previous frame t-1 and the optical flow of t (its
backward flow to t-1, :mod:`mmuda.datasets.flow_io`); with ``tps_offset=I`` (TPS) also the
frames t-I and t-I-1 and the flow of t-I. Frames are named ``<prefix><index><suffix>`` where
the index is the last number of the name (Cityscapes ``aachen_000000_000019_leftImg8bit.png``,
VIPER ``001_00010.jpg``, SYNTHIA-Seq ``000001.png``); the neighbours of a frame are the files
of the same folder and prefix whose index is smaller by the offset, with the same zero padding.

The samples are the frames that have a label file (``data_prefix.seg_map_path``, ending in
``seg_map_suffix``). Every file a sample needs is checked when the file list is built (eagerly,
in ``load_data_list``): a missing frame or flow file stops the run before training with one
error naming the file, instead of failing hours later in a data loader worker (existence checks
only: one ``stat`` per file, a second for the 3k Cityscapes samples). The flow shapes are
checked lazily, by :class:`mmuda.datasets.transforms.LoadVideoFrames` when a sample is loaded
(reading every flow at start-up would read tens of GB). Annotated frames whose index is below
the largest offset the method needs (frame 0 of SYNTHIA-Seq, whose sequence starts there) are
not samples; the reference's SYNTHIA-Seq list also starts at frame 1.

Labels are train-id PNGs (255 = ignore) written once by the converters in
``tools/dataset_converters/`` (viper.py, synthia_seq.py, cityscapes_seq.py) with the tables
below, which are those of the reference code (DA-VSN: github.com/Dayan-Guan/DA-VSN; TPS:
github.com/xing0047/TPS uses the same tables).
"""
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine import fileio
from mmengine.logging import print_log

from mmuda.registry import DATASETS
from .base_seg import CheckedSegDataset
from .flow_io import FLOW_SUFFIX, flow_path
from .label_conversion import convert_all_or_nothing, temp_path
from .label_check import check_seg_data_list, format_problems, pipeline_loads_labels
from .synthia import read_synthia_class_channel

# ---------------------------------------------------------------------------------------------
# Classes and label tables (verified in the reference code; paths are of DA-VSN's repository,
# TPS's tps/dataset/* are identical)
# ---------------------------------------------------------------------------------------------

#: Cityscapes colours of the classes used below.
_PALETTE = {
    'road': [128, 64, 128], 'sidewalk': [244, 35, 232], 'building': [70, 70, 70],
    'fence': [190, 153, 153], 'pole': [153, 153, 153], 'traffic light': [250, 170, 30],
    'traffic sign': [220, 220, 0], 'vegetation': [107, 142, 35], 'terrain': [152, 251, 152],
    'sky': [70, 130, 180], 'person': [220, 20, 60], 'rider': [255, 0, 0], 'car': [0, 0, 142],
    'truck': [0, 0, 70], 'bus': [0, 60, 100], 'motorcycle': [0, 0, 230],
    'bicycle': [119, 11, 32]}

#: The 15 classes of VIPER -> Cityscapes-Seq (davsn/dataset/CityscapesSeq_list/info_Viper.json
#: "label"; no wall, pole, rider, train).
VIPER_CLASSES = ('road', 'sidewalk', 'building', 'fence', 'traffic light', 'traffic sign',
                 'vegetation', 'terrain', 'sky', 'person', 'car', 'truck', 'bus', 'motorcycle',
                 'bicycle')
#: The 12 classes of SYNTHIA-Seq -> Cityscapes-Seq (info_SynthiaSeq.json "label").
SYNTHIA_SEQ_CLASSES = ('road', 'sidewalk', 'building', 'fence', 'pole', 'traffic light',
                       'traffic sign', 'vegetation', 'sky', 'person', 'rider', 'car')
#: The 11 classes SYNTHIA-Seq -> Cityscapes-Seq is evaluated on: trained on 12, fence left out
#: of the mean (davsn/domain_adaptation/eval_video_UDA.py: "ignore 'fence' class during
#: evaluation", the IoU of index 3 dropped). With mmuda:
#: ``SubsetIoUMetric(subsets=dict(mIoU11=SYNTHIA_SEQ_EVAL_CLASSES))``.
SYNTHIA_SEQ_EVAL_CLASSES = tuple(c for c in SYNTHIA_SEQ_CLASSES if c != 'fence')

#: VIPER class id (srrichter/viper classes.csv: 0 unlabeled .. 31 boat) -> the 15 train ids,
#: the table of davsn/dataset/Viper.py (``id_to_trainid``). Tree (7) and vegetation (8) both
#: become vegetation; every other id (unlabeled, ambiguous, railtrack, infrastructure,
#: billboard, mobile barrier, fire hydrant, chair, trash, trash can, animal, van, trailer, train,
#: plane, boat) is ignored.
VIPER_TO_TRAIN_ID: Dict[int, int] = {
    3: 0,    # road
    4: 1,    # sidewalk
    9: 2,    # building
    11: 3,   # fence
    13: 4,   # traffic light
    14: 5,   # traffic sign
    7: 6,    # tree -> vegetation
    8: 6,    # vegetation
    6: 7,    # terrain
    2: 8,    # sky
    20: 9,   # person
    24: 10,  # car
    27: 11,  # truck
    26: 12,  # bus
    23: 13,  # motorcycle
    22: 14,  # bicycle
}
MAX_VIPER_ID = 31
#: VIPER's car id: the ego vehicle is the car component holding the bottom row's middle pixel
#: (davsn/dataset/Viper.py, ``ignore_ego_vehicle``), ignored.
VIPER_CAR_ID = 24

#: SYNTHIA-SEQS class id (0 void, 1 sky, 2 building, 3 road, 4 sidewalk, 5 fence,
#: 6 vegetation, 7 pole, 8 car, 9 sign, 10 pedestrian, 11 cyclist, 12 lane marking,
#: 13/14 reserved, 15 traffic light) -> the 12 train ids, the table of
#: davsn/dataset/SynthiaSeq.py (``id_to_trainid``). The reference maps SYNTHIA's cyclist (11)
#: to rider; void, lane marking and the reserved ids are ignored.
SYNTHIA_SEQ_TO_TRAIN_ID: Dict[int, int] = {
    3: 0,    # road
    4: 1,    # sidewalk
    2: 2,    # building
    5: 3,    # fence
    7: 4,    # pole
    15: 5,   # traffic light
    9: 6,    # traffic sign
    6: 7,    # vegetation
    1: 8,    # sky
    10: 9,   # pedestrian -> person
    11: 10,  # cyclist -> rider
    8: 11,   # car
}
MAX_SYNTHIA_SEQ_ID = 15
#: Rows cut from the bottom of SYNTHIA-Seq frames and labels (1280 x 760 -> 1280 x 640; the
#: car's hood). The reference cuts at load time (davsn/dataset/SynthiaSeq.py,
#: ``image[:-120]``, ``label[:-120]``), so mmuda cuts in the pipeline:
#: :class:`mmuda.datasets.transforms.CutBottomRows`.
SYNTHIA_SEQ_CUT_ROWS = 120

#: Cityscapes label id -> the 15 VIPER train ids (davsn/dataset/CityscapesSeq_list/
#: info_Viper.json "label2train"). Rider (25) becomes person, as there.
CITYSCAPES_TO_VIPER15: Dict[int, int] = {
    7: 0, 8: 1, 11: 2, 13: 3, 19: 4, 20: 5, 21: 6, 22: 7, 23: 8, 24: 9, 25: 9, 26: 10,
    27: 11, 28: 12, 32: 13, 33: 14}
#: Cityscapes label id -> the 12 SYNTHIA-Seq train ids (info_SynthiaSeq.json "label2train").
CITYSCAPES_TO_SYNTHIA_SEQ12: Dict[int, int] = {
    7: 0, 8: 1, 11: 2, 13: 3, 17: 4, 19: 5, 20: 6, 21: 7, 23: 8, 24: 9, 25: 10, 26: 11}
#: Cityscapes label ids of gtFine ``*_labelIds.png`` (cityscapesScripts labels.py: 0..33).
MAX_CITYSCAPES_ID = 33

#: The class sets of Cityscapes-Seq: name -> (classes, label-id table, label suffix).
CITYSCAPES_SEQ_CLASS_SETS = {
    'viper': (VIPER_CLASSES, CITYSCAPES_TO_VIPER15, '_gtFine_labelTrainIds15.png'),
    'synthia_seq': (SYNTHIA_SEQ_CLASSES, CITYSCAPES_TO_SYNTHIA_SEQ12,
                    '_gtFine_labelTrainIds12.png'),
}

LABEL_SUFFIX = '_labelTrainIds.png'
_INDEX = re.compile(r'^(.*?)(\d+)$')


def _metainfo(classes: Sequence[str]) -> dict:
    return dict(classes=tuple(classes), palette=[_PALETTE[c] for c in classes])


# ---------------------------------------------------------------------------------------------
# Frame names
# ---------------------------------------------------------------------------------------------

def split_frame_index(stem: str) -> Optional[Tuple[str, int, int]]:
    """``(prefix, index, digits)`` of a frame name without its suffix (the index is the last
    number of the file name), or None when the name does not end in a number."""
    head, name = osp.split(stem)
    match = _INDEX.match(name)
    if match is None:
        return None
    return osp.join(head, match.group(1)), int(match.group(2)), len(match.group(2))


def neighbour_stem(stem: str, offset: int) -> Optional[str]:
    """The name of the frame ``offset`` frames before ``stem`` (same folder, prefix and zero
    padding), or None when its index would be negative."""
    parsed = split_frame_index(stem)
    if parsed is None:
        raise ValueError(f'{stem!r} does not end in a frame number')
    prefix, index, digits = parsed
    if index - offset < 0:
        return None
    return prefix + str(index - offset).zfill(digits)


# ---------------------------------------------------------------------------------------------
# Datasets
# ---------------------------------------------------------------------------------------------

@DATASETS.register_module()
class VideoSegDataset(CheckedSegDataset):
    """Annotated frames with their previous frames and optical flows.

    Each sample's info holds ``img_path`` (frame t), ``seg_map_path``, ``img_prev_path``
    (frame t-1), ``flow_path`` (the backward flow of t, when ``data_prefix`` has a
    ``flow_root``) and ``frame_index`` (t); with ``tps_offset=I`` also ``img_ref_path``
    (t-I), ``img_ref_prev_path`` (t-I-1) and ``flow_ref_path`` (the flow of t-I). TPS also
    warps with the flow t -> t-I (tps/domain_adaptation/train_video_UDA.py, "flow: d -> b"):
    for its default I = 1 that is ``flow`` itself; for I > 1 it is not a flow file of
    :mod:`mmuda.datasets.flow_io` (consecutive frames only). Load the files with
    ``dict(type='LoadVideoFrames')`` after ``mmseg.LoadImageFromFile``.

    Args:
        tps_offset (int): I of TPS, or 0 for DA-VSN's pairs (t, t-1) only. Defaults to 0.
        data_prefix (dict): ``img_path`` (the frame folder), ``seg_map_path`` (the label
            folder, same relative paths), ``flow_root`` (the flow folder written by
            ``tools/misc/compute_flow.py``; None or absent: no flows).
        **kwargs: passed to :class:`CheckedSegDataset` (``img_suffix`` is the frames' suffix).
    """

    #: How to make the label files, for error messages.
    CONVERTER = 'the converter of the dataset in tools/dataset_converters/'

    def __init__(self, *args, tps_offset: int = 0, **kwargs):
        if not isinstance(tps_offset, int) or tps_offset < 0:
            raise ValueError(f'{type(self).__name__}: tps_offset must be an integer >= 0 (I of '
                             f'TPS; 0 = pairs t, t-1 only), got {tps_offset!r}')
        self.tps_offset = tps_offset
        super().__init__(*args, **kwargs)

    @property
    def frame_offsets(self) -> Dict[str, int]:
        """Results key -> how many frames before t it is."""
        offsets = dict(img_prev=1)
        if self.tps_offset:
            offsets.update(img_ref=self.tps_offset, img_ref_prev=self.tps_offset + 1)
        return offsets

    def _needs(self) -> str:
        if self.tps_offset:
            frames = [f't-{k}' for k in sorted(set(self.frame_offsets.values()))]
            return (f'frames {", ".join(frames[:-1])} and {frames[-1]} '
                    f'(tps_offset={self.tps_offset})')
        return 'frame t-1'

    def _sample_info(self, info: dict) -> dict:
        """Hook for subclasses: extra keys of a sample's info."""
        return info

    def load_data_list(self) -> List[dict]:
        where = self._where()
        if self.ann_file:
            raise ValueError(f'{where}: ann_file is not supported; the samples are the frames '
                             f'with a label file under data_prefix.seg_map_path')
        if self.data_root and '://' not in self.data_root and not osp.isdir(self.data_root):
            raise FileNotFoundError(
                f'{where}: the data root {self.data_root!r} does not exist. Expected a folder '
                f'holding the dataset; see docs/dataset_prepare.md (Video datasets) for the '
                f'layout, or set data_root in the config.')
        frame_dir = self.data_prefix.get('img_path', '')
        label_dir = self.data_prefix.get('seg_map_path', '')
        flow_dir = self.data_prefix.get('flow_root')
        if not osp.isdir(frame_dir):
            raise FileNotFoundError(
                f'{where}: the frame folder {frame_dir!r} does not exist. Expected the video '
                f'frames ending in {self.img_suffix!r} there (data_prefix.img_path).')
        if not osp.isdir(label_dir):
            raise FileNotFoundError(
                f'{where}: the label folder {label_dir!r} does not exist. Expected labels '
                f'ending in {self.seg_map_suffix!r} there (data_prefix.seg_map_path), written '
                f'by {self.CONVERTER}.')
        if flow_dir is not None and not osp.isdir(flow_dir):
            raise FileNotFoundError(
                f'{where}: the optical flow folder {flow_dir!r} does not exist '
                f'(data_prefix.flow_root). Compute the flows with: python '
                f'tools/misc/compute_flow.py {frame_dir} {flow_dir} --suffix '
                f'{self.img_suffix} (see docs/dataset_prepare.md), or set flow_root=None to '
                f'load no flows.')
        labels = sorted(
            rel for rel in fileio.list_dir_or_file(label_dir, list_dir=False,
                                                   suffix=self.seg_map_suffix, recursive=True)
            if '.tmp-' not in rel)
        if not labels:
            raise ValueError(
                f'{where}: found no label files ending in {self.seg_map_suffix!r} under '
                f'{label_dir!r}. Expected one per annotated frame, written by '
                f'{self.CONVERTER}.')
        offsets = self.frame_offsets
        first = max(offsets.values())
        num_classes = len(self.metainfo['classes'])
        data_list, skipped = [], 0
        missing_frames, missing_flows = [], []
        for rel in labels:
            stem = rel[:-len(self.seg_map_suffix)]
            parsed = split_frame_index(stem)
            if parsed is None:
                raise ValueError(
                    f'{where}: the label file {osp.join(label_dir, rel)!r} has no frame number. '
                    f'Expected names ending in the frame index before {self.seg_map_suffix!r} '
                    f'(<prefix><index>{self.seg_map_suffix}).')
            if parsed[1] < first:  # the sequence starts too late for the neighbours
                skipped += 1
                continue
            img = osp.join(frame_dir, stem + self.img_suffix)
            info = dict(img_path=img, seg_map_path=osp.join(label_dir, rel),
                        frame_index=parsed[1], tps_offset=self.tps_offset,
                        label_map=self.label_map, reduce_zero_label=self.reduce_zero_label,
                        seg_fields=[], num_classes=num_classes)
            for key, offset in offsets.items():
                info[f'{key}_path'] = osp.join(frame_dir,
                                               neighbour_stem(stem, offset) + self.img_suffix)
            if flow_dir is not None:
                info['flow_path'] = flow_path(img, frame_dir, flow_dir, self.img_suffix)
                if self.tps_offset:
                    info['flow_ref_path'] = flow_path(info['img_ref_path'], frame_dir,
                                                      flow_dir, self.img_suffix)
            for key in ('img_path', *(f'{k}_path' for k in offsets)):
                if not osp.isfile(info[key]):
                    missing_frames.append((key, info[key], img))
            for key, frame in (('flow_path', img), ('flow_ref_path', info.get('img_ref_path'))):
                if key in info and not osp.isfile(info[key]):
                    missing_flows.append((key, info[key], frame))
            data_list.append(self._sample_info(info))
        if missing_frames or missing_flows:
            raise FileNotFoundError(self._missing_message(
                missing_frames, missing_flows, len(data_list), frame_dir, label_dir, flow_dir))
        if not data_list:
            raise ValueError(
                f'{where}: all {len(labels)} annotated frame(s) under {label_dir!r} are too '
                f'close to the start of their sequence: a sequence shorter than the method '
                f'needs ({self._needs()} of every annotated frame t).')
        if skipped:
            print_log(f'{where}: {skipped} annotated frame(s) start their sequence (no '
                      f'{self._needs()}) and are not samples; {len(data_list)} are.',
                      logger='current')
        if self.check_labels and pipeline_loads_labels(self):
            problems = check_seg_data_list(data_list, self)
            if problems:
                raise ValueError(
                    f'{where}: {len(problems)} of {len(data_list)} label file(s) are '
                    f'bad (check_labels=True):\n{format_problems(problems)}')
        return data_list

    def _missing_message(self, frames, flows, total, frame_dir, label_dir, flow_dir) -> str:
        where = self._where()
        counts = ', '.join(f'{n} {what}' for n, what in (
            (len(frames), 'frame(s)'), (len(flows), 'flow file(s)')) if n)
        if frames:
            key, path, img = frames[0]
            if key == 'img_path':
                first = (f'the annotated frame {path!r} (its label is under {label_dir!r}) does '
                         f'not exist. Expected one frame ending in {self.img_suffix!r} per label '
                         f'file, at the same relative path under {frame_dir!r}.')
            else:
                what = {'img_prev_path': 'previous frame (t-1)',
                        'img_ref_path': f'reference frame (t-{self.tps_offset})',
                        'img_ref_prev_path': f'frame t-{self.tps_offset + 1}'}[key]
                first = (f'the {what} {path!r} of annotated frame {img!r} does not exist. '
                         f'Expected the {self._needs()} of every annotated frame t in '
                         f'{frame_dir!r}, named like it with the frame number decreased: an '
                         f'incomplete frame folder (for Cityscapes: leftImg8bit_sequence, not '
                         f'leftImg8bit), or a sequence shorter than the method needs.')
        else:
            key, path, frame = flows[0]
            first = (f'the optical flow file {path!r} (the backward flow of frame {frame!r} to '
                     f'its previous frame) does not exist. Expected one '
                     f'<frame name>{FLOW_SUFFIX} per frame under flow_root {flow_dir!r}; '
                     f'compute them with: python tools/misc/compute_flow.py {frame_dir} '
                     f'{flow_dir} --suffix {self.img_suffix} --only-annotated {label_dir} '
                     f'--label-suffix {self.seg_map_suffix}'
                     + (f' --tps-offset {self.tps_offset}' if self.tps_offset else '') + '.')
        return f'{where}: {first} ({counts} missing for {total} sample(s).)'


@DATASETS.register_module()
class CityscapesSeqDataset(VideoSegDataset):
    """Cityscapes-Seq (the video target of DA-VSN / TPS) with the classes of a source.

    Layout (``data_root``): ``leftImg8bit_sequence/{train,val}/<city>/<city>_<seq>_<frame>
    _leftImg8bit.png`` (all 30 frames of each snippet, ``leftImg8bit_sequence_trainvaltest.zip``),
    ``gtFine/{train,val}/<city>/*_gtFine_labelTrainIds{15,12}.png`` (the annotated 20th frame
    of each snippet; written by ``tools/dataset_converters/cityscapes_seq.py`` from
    ``*_gtFine_labelIds.png``) and the flows under ``leftImg8bit_sequence_flow/{train,val}/``.

    Args:
        class_set (str): ``'viper'``: the 15 classes of VIPER -> Cityscapes-Seq (labels
            ``*_gtFine_labelTrainIds15.png``); ``'synthia_seq'``: the 12 of SYNTHIA-Seq ->
            Cityscapes-Seq (``*_gtFine_labelTrainIds12.png``; evaluated on 11, see
            ``SYNTHIA_SEQ_EVAL_CLASSES``). The subset is mapped from the label ids by the
            converter with the reference's tables, so the files hold train ids of the chosen
            set and the model predicts exactly those classes. Defaults to 'viper'.
        split (str): ``train`` or ``val``, used in the default ``data_prefix``.
    """
    CONVERTER = 'tools/dataset_converters/cityscapes_seq.py'

    def __init__(self, class_set: str = 'viper', split: str = 'train',
                 img_suffix: str = '_leftImg8bit.png', seg_map_suffix: Optional[str] = None,
                 data_prefix: Optional[dict] = None, metainfo: Optional[dict] = None,
                 **kwargs):
        if class_set not in CITYSCAPES_SEQ_CLASS_SETS:
            raise ValueError(f'CityscapesSeqDataset: class_set must be one of '
                             f'{sorted(CITYSCAPES_SEQ_CLASS_SETS)}, got {class_set!r}')
        self.class_set = class_set
        classes, _, suffix = CITYSCAPES_SEQ_CLASS_SETS[class_set]
        if data_prefix is None:
            data_prefix = dict(img_path=f'leftImg8bit_sequence/{split}',
                               seg_map_path=f'gtFine/{split}',
                               flow_root=f'leftImg8bit_sequence_flow/{split}')
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix or suffix,
                         data_prefix=data_prefix,
                         metainfo=dict(_metainfo(classes), **(metainfo or {})), **kwargs)


@DATASETS.register_module()
class ViperDataset(VideoSegDataset):
    """VIPER (Richter et al., ICCV 2017) with the 15 classes of VIPER -> Cityscapes-Seq.

    Layout (``data_root``, as DA-VSN's README): ``train/img/<seq>/<seq>_<frame>.jpg`` (every
    frame, 1920 x 1080; the JPG release, as the reference; ``img_suffix='.png'`` for the PNG
    one), ``train/cls/<seq>/<seq>_<frame>_labelTrainIds.png`` (every 10th frame; written by
    ``tools/dataset_converters/viper.py`` from the released ``train/cls/*/*.png``, the ego
    vehicle ignored) and the flows under ``train/img_flow/``. The reference trains at
    1280 x 720 (its loader resizes frames and labels); resizing is the pipeline's.
    """
    METAINFO = _metainfo(VIPER_CLASSES)
    CONVERTER = 'tools/dataset_converters/viper.py'

    def __init__(self, img_suffix: str = '.jpg', seg_map_suffix: str = LABEL_SUFFIX,
                 data_prefix: Optional[dict] = None, **kwargs):
        if data_prefix is None:
            data_prefix = dict(img_path='train/img', seg_map_path='train/cls',
                               flow_root='train/img_flow')
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         data_prefix=data_prefix, **kwargs)


@DATASETS.register_module()
class SynthiaSeqDataset(VideoSegDataset):
    """SYNTHIA-Seq (SYNTHIA-SEQS-04-DAWN, the left front camera as the reference) with the 12
    classes of SYNTHIA-Seq -> Cityscapes-Seq.

    Layout (``data_root`` = the extracted ``SYNTHIA-SEQS-04-DAWN``):
    ``RGB/Stereo_Left/Omni_F/000000.png ...`` (850 frames, 1280 x 760),
    ``GT/LABELS/Stereo_Left/Omni_F/000000_labelTrainIds.png`` (written by
    ``tools/dataset_converters/synthia_seq.py``, full size) and the flows under
    ``RGB_flow/Stereo_Left/Omni_F/``. (DA-VSN reads the same two folders renamed ``rgb/`` and
    ``label/``; it uses Stereo_Left / Omni_F, DA-VSN issue #3.)

    The reference cuts the bottom 120 rows of frames and labels when it loads them
    (1280 x 640); so does the pipeline here: put ``dict(type='CutBottomRows')`` right after the
    loading transforms (it cuts ``cut_bottom_rows`` rows, which this dataset puts in every
    sample, from the frames, labels and flows). A non-empty pipeline without it is refused
    unless ``cut_bottom_rows=0``.
    """
    METAINFO = _metainfo(SYNTHIA_SEQ_CLASSES)
    CONVERTER = 'tools/dataset_converters/synthia_seq.py'

    def __init__(self, img_suffix: str = '.png', seg_map_suffix: str = LABEL_SUFFIX,
                 data_prefix: Optional[dict] = None,
                 cut_bottom_rows: int = SYNTHIA_SEQ_CUT_ROWS, **kwargs):
        self.cut_bottom_rows = cut_bottom_rows
        if data_prefix is None:
            data_prefix = dict(img_path='RGB/Stereo_Left/Omni_F',
                               seg_map_path='GT/LABELS/Stereo_Left/Omni_F',
                               flow_root='RGB_flow/Stereo_Left/Omni_F')
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         data_prefix=data_prefix, **kwargs)
        if cut_bottom_rows:
            from .transforms.video import CutBottomRows
            transforms = getattr(self.pipeline, 'transforms', [])
            if transforms and not any(isinstance(t, CutBottomRows) for t in transforms):
                raise ValueError(
                    f'{self._where()}: the pipeline has no CutBottomRows. The reference cuts '
                    f'the bottom {cut_bottom_rows} rows (the car hood) of SYNTHIA-Seq frames '
                    f'and labels when loading them; add dict(type=\'CutBottomRows\') after '
                    f'LoadVideoFrames, or set cut_bottom_rows=0 to keep them.')

    def _sample_info(self, info: dict) -> dict:
        info['cut_bottom_rows'] = self.cut_bottom_rows
        return info


# ---------------------------------------------------------------------------------------------
# Label conversion (used by tools/dataset_converters/{viper,synthia_seq,cityscapes_seq}.py)
# ---------------------------------------------------------------------------------------------

def _lut(table: Dict[int, int], max_id: int, ignore_index: int = 255) -> np.ndarray:
    lut = np.full(max_id + 1, ignore_index, dtype=np.uint8)
    for src, dst in table.items():
        lut[src] = dst
    return lut


def _check_ids(path: str, ids: np.ndarray, max_id: int, what: str) -> None:
    bad = np.unique(ids[ids > max_id])
    if bad.size:
        shown = ', '.join(str(int(i)) for i in bad[:10]) + (', ...' if bad.size > 10 else '')
        raise ValueError(f'{path!r}: holds unknown label id(s) [{shown}] in '
                         f'{int(np.isin(ids, bad).sum())} pixel(s); expected {what} '
                         f'0..{max_id}')


def read_index_png(path: str, max_id: int, what: str) -> np.ndarray:
    """The ids of a single-channel label PNG (palette indices or grey values), checked to be
    in ``0..max_id``; ``ValueError`` naming the file otherwise."""
    from PIL import Image
    try:
        with Image.open(path) as img:
            mode = img.mode
            ids = np.asarray(img)
    except OSError as exc:
        raise ValueError(f'{path!r}: cannot be read as a PNG ({exc})') from exc
    if mode not in ('P', 'L', 'I', 'I;16'):
        raise ValueError(f'{path!r}: expected a single-channel label PNG of {what} (palette '
                         f'or grey), got an image of mode {mode!r}')
    _check_ids(path, ids, max_id, what)
    return ids.astype(np.uint8)


def ignore_ego_vehicle(ids: np.ndarray, car_id: int = VIPER_CAR_ID,
                       void_id: int = 0) -> np.ndarray:
    """Set the ego vehicle of a VIPER class-id map to ``void_id``: the 8-connected car
    component holding the middle pixel of the bottom row, as davsn/dataset/Viper.py."""
    import cv2
    _, components = cv2.connectedComponents((ids == car_id).astype(np.uint8))
    ego = components[-1, components.shape[1] // 2]
    if ego > 0:
        ids = ids.copy()
        ids[components == ego] = void_id
    return ids


def viper_train_ids(ids: np.ndarray) -> np.ndarray:
    """VIPER class ids -> the 15 train ids, the ego vehicle ignored."""
    return _lut(VIPER_TO_TRAIN_ID, MAX_VIPER_ID)[ignore_ego_vehicle(ids)]


def read_synthia_seq_label(path: str) -> np.ndarray:
    """The class ids of a SYNTHIA-SEQS ``GT/LABELS`` PNG: 16-bit, 3 channels, the class in the
    first channel (DA-VSN's base_dataset.py reads ``imageio.imread(...)[:, :, 0]``)."""
    ids = read_synthia_class_channel(path, 'SYNTHIA-Seq')
    _check_ids(path, ids, MAX_SYNTHIA_SEQ_ID, 'SYNTHIA-Seq class ids')
    return ids


def _read(reader: str, path: str) -> np.ndarray:
    if reader == 'viper':
        return read_index_png(path, MAX_VIPER_ID, 'VIPER class ids')
    if reader == 'synthia_seq':
        return read_synthia_seq_label(path)
    if reader == 'cityscapes':
        return read_index_png(path, MAX_CITYSCAPES_ID, 'Cityscapes label ids')
    raise ValueError(f'unknown label reader {reader!r}')


#: Label table name -> function of the raw ids.
_TABLES = {
    'viper': viper_train_ids,
    'synthia_seq': lambda ids: _lut(SYNTHIA_SEQ_TO_TRAIN_ID, MAX_SYNTHIA_SEQ_ID)[ids],
    'cityscapes_viper': lambda ids: _lut(CITYSCAPES_TO_VIPER15, MAX_CITYSCAPES_ID)[ids],
    'cityscapes_synthia_seq':
        lambda ids: _lut(CITYSCAPES_TO_SYNTHIA_SEQ12, MAX_CITYSCAPES_ID)[ids],
}


def convert_video_label(reader: str, src: str, outputs: Sequence[Tuple[str, str]],
                        tag: str) -> Optional[str]:
    """Write the train-id PNGs of one label to ``temp_path(dst, tag)`` for each
    ``(dst, table)`` of ``outputs``; returns None, or the problem (nothing written then)."""
    from PIL import Image
    try:
        ids = _read(reader, src)
    except ValueError as exc:
        return str(exc)
    for dst, table in outputs:
        Image.fromarray(_TABLES[table](ids)).save(temp_path(dst, tag))
    return None


def convert_video_labels(reader: str, sources: Sequence[str],
                         outputs: Sequence[Sequence[Tuple[str, str]]], nproc: int = 4) -> int:
    """Convert labels (``outputs[i]``: the ``(dst, table)`` pairs of ``sources[i]``) in
    ``nproc`` processes; returns the number of files written.

    All or nothing: every file is written to a temporary file first; if any label is bad (or
    the conversion is interrupted), the temporary files are removed and ``ValueError`` lists
    the bad labels, leaving the folders as they were. Otherwise the files are renamed into
    place.
    """
    tag = str(os.getpid())
    convert_all_or_nothing(convert_video_label,
                           [(reader, s, o, tag) for s, o in zip(sources, outputs)],
                           [dst for outs in outputs for dst, _ in outs], tag,
                           'cannot be converted', nproc=nproc)
    return sum(len(o) for o in outputs)
