# Copyright (c) mmuda contributors. All rights reserved.
"""Mapillary Vistas v1.2 (Neuhold et al., ICCV 2017), a real target of the domain-generalisation
setting GTA5 -> {Cityscapes, BDD100K, Mapillary}, evaluated on the 19 Cityscapes classes.

The released labels (``<split>/labels/*.png``) are 8-bit palette PNGs whose pixel values are
the indices of the 66 classes listed in ``config.json`` (``labels[i]['readable']``, coloured
by the palette); the colours only visualise them. They are read as class indices, as
RobustNet, HRDA and Mask2Former read them, and the palette is checked against the v1.2
colours so that labels of another version are refused rather than silently misread; RGB
colour PNGs (e.g. re-saved labels) are accepted through the colour table.
``tools/dataset_converters/mapillary.py`` maps them once to Cityscapes train ids with
:data:`MAPILLARY_TO_TRAIN_ID` and writes ``<split>/labels/*_labelTrainIds.png``, which
:class:`MapillaryDataset` reads.

The class names and colours of v1.2 are those of mmseg's ``MapillaryDataset_v1`` (the order
and colours of ``config.json``, also as listed by Mask2Former's
``register_mapillary_vistas.py``).
"""
import json
import os
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from mmseg.datasets import CityscapesDataset as _MMSegCityscapes
from mmseg.datasets import MapillaryDataset_v1 as _MMSegMapillaryV1

from mmuda.registry import DATASETS
from .base_seg import CheckedSegDataset
from .bdd100k import check_label_folder
from .label_conversion import convert_all_or_nothing, temp_path

#: The 66 classes of Mapillary Vistas v1.2, in the order of config.json (index = class id).
V1_CLASSES: Tuple[str, ...] = tuple(_MMSegMapillaryV1.METAINFO['classes'])
#: Their colours (RGB), as in config.json and the palette of the label PNGs.
V1_PALETTE: Tuple[Tuple[int, int, int], ...] = tuple(
    tuple(c) for c in _MMSegMapillaryV1.METAINFO['palette'])
NUM_V1_CLASSES = 66

#: Mapillary Vistas v1.2 class -> Cityscapes train id: the table of RobustNet
#: (shachoi/RobustNet, datasets/mapillary.py, ``gen_id_to_ignore``), used unchanged by
#: DAFormer / HRDA for their DG results (lhoyer/HRDA, tools/convert_datasets/mapillary.py).
#: Every other class (e.g. Crosswalk - Plain, Lane Marking - Crosswalk, Parking, Bike Lane,
#: Traffic Sign (Back), Street Light, Ego Vehicle, Unlabeled) is ignored (255). Other works
#: (openseg.pytorch, Rein) map more classes; their numbers are not comparable with these.
MAPILLARY_TO_TRAIN_ID: Dict[str, int] = {
    'Road': 0,
    'Lane Marking - General': 0,
    'Manhole': 0,
    'Curb': 1,
    'Sidewalk': 1,
    'Building': 2,
    'Wall': 3,
    'Fence': 4,
    'Pole': 5,
    'Utility Pole': 5,
    'Traffic Light': 6,
    'Traffic Sign (Front)': 7,
    'Vegetation': 8,
    'Terrain': 9,
    'Sky': 10,
    'Person': 11,
    'Bicyclist': 12,
    'Motorcyclist': 12,
    'Other Rider': 12,
    'Car': 13,
    'Truck': 14,
    'Bus': 15,
    'On Rails': 16,  # -> train
    'Motorcycle': 17,
    'Bicycle': 18,
}
#: The same table by class id (the index in config.json).
MAPILLARY_ID_TO_TRAIN_ID: Dict[int, int] = {
    V1_CLASSES.index(name): train_id for name, train_id in MAPILLARY_TO_TRAIN_ID.items()}

SUFFIX = '_labelTrainIds.png'
#: The splits of the release (training 18000, validation 2000 images; test has no labels).
SPLITS = ('validation', 'training')
#: The configuration files listing the classes: config.json in the v1.2 zip,
#: config_v1.2.json in the v2.0 zip (which also ships the v1.2 labels).
CONFIG_FILES = ('config.json', 'config_v1.2.json')
LAYOUT = ('expected Mapillary Vistas v1.2 extracted as <data_root>/<split>/images/*.jpg and '
          '<data_root>/<split>/labels/*.png (mapillary-vistas-dataset_public_v1.2.zip; from '
          'the v2.0 zip: <data_root>/<split>/v1.2/labels/*.png)')


def _lut(ignore_index: int = 255) -> np.ndarray:
    lut = np.full(256, ignore_index, dtype=np.uint8)
    for class_id, train_id in MAPILLARY_ID_TO_TRAIN_ID.items():
        lut[class_id] = train_id
    return lut


def mapillary_ids_to_train_ids(ids: np.ndarray, ignore_index: int = 255) -> np.ndarray:
    """Map Mapillary v1.2 class ids (0..65) to Cityscapes train ids (``ignore_index`` for
    the classes without one)."""
    return _lut(ignore_index)[ids]


def _shown(values, limit: int = 10) -> str:
    values = list(values)
    return ', '.join(str(v) for v in values[:limit]) + (', ...' if len(values) > limit else '')


def _check_ids(path: str, ids: np.ndarray) -> None:
    bad = np.unique(ids[ids >= NUM_V1_CLASSES])
    if bad.size:
        raise ValueError(f'{path!r}: holds class id(s) [{_shown(int(i) for i in bad)}]; '
                         f'expected Mapillary Vistas v1.2 class ids 0..{NUM_V1_CLASSES - 1} '
                         f'(the order of config.json)')


def _ids_of_colours(path: str, rgb: np.ndarray) -> np.ndarray:
    codes = (rgb[..., 0].astype(np.int64) << 16) | (rgb[..., 1].astype(np.int64) << 8) \
        | rgb[..., 2]
    table = np.array([(r << 16) | (g << 8) | b for r, g, b in V1_PALETTE], np.int64)
    order = np.argsort(table)
    pos = np.clip(np.searchsorted(table[order], codes), 0, len(table) - 1)
    known = table[order][pos] == codes
    if not known.all():
        unknown = np.unique(codes[~known])
        colours = (f'({c >> 16}, {(c >> 8) & 255}, {c & 255})' for c in unknown.tolist())
        raise ValueError(f'{path!r}: holds {int((~known).sum())} pixel(s) of unknown colour(s) '
                         f'[{_shown(colours, 5)}]; expected the 66 colours of Mapillary Vistas '
                         f'v1.2 (config.json)')
    return order[pos].astype(np.uint8)


def read_mapillary_label(path: str) -> np.ndarray:
    """The class-id map (0..65) of a released Mapillary Vistas v1.2 label PNG.

    A palette PNG (as released) gives its indices, after checking that the palette colours of
    the indices it uses are those of v1.2; an 8-bit grey PNG its values; an RGB PNG the
    classes of its colours. ``ValueError`` naming the file and what was expected otherwise
    (another mode, an id above 65, an unknown colour, another version's palette).
    """
    from PIL import Image
    try:
        with Image.open(path) as img:
            img.load()
            mode, palette = img.mode, img.getpalette() if img.mode == 'P' else None
            array = np.asarray(img)
    except Exception as error:  # missing, truncated, not an image
        raise ValueError(f'{path!r}: cannot be read as an image '
                         f'({type(error).__name__}: {error})') from error
    if mode == 'RGB':
        return _ids_of_colours(path, array)
    if mode not in ('P', 'L'):
        raise ValueError(f'{path!r}: is an image of mode {mode!r}; expected a Mapillary Vistas '
                         f'v1.2 label PNG (8-bit palette indices = class ids 0..65, or their '
                         f'RGB colours)')
    _check_ids(path, array)
    if mode == 'P':
        colours = np.asarray(palette or [], np.int64).reshape(-1, 3)
        for i in np.unique(array).tolist():
            colour = tuple(colours[i].tolist()) if i < len(colours) else None
            if colour != V1_PALETTE[i]:
                raise ValueError(
                    f'{path!r}: its palette gives class id {i} the colour {colour}; expected '
                    f'{V1_PALETTE[i]} ({V1_CLASSES[i]!r}) of Mapillary Vistas v1.2. Not a v1.2 '
                    f'label? (v2.0 labels have 124 classes: use the v1.2 labels of the zip)')
    return array


def check_mapillary_config(path: str) -> None:
    """``ValueError`` naming ``path`` unless the config.json there lists the 66 classes of
    v1.2 with their names and colours in the order of :data:`V1_CLASSES`."""
    try:
        with open(path) as f:
            labels = json.load(f)['labels']
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f'{path!r}: cannot be read as a Mapillary Vistas config '
                         f'({type(error).__name__}: {error}); expected JSON with a "labels" '
                         f'list') from error
    if len(labels) != NUM_V1_CLASSES:
        raise ValueError(f'{path!r}: lists {len(labels)} classes; expected the '
                         f'{NUM_V1_CLASSES} of Mapillary Vistas v1.2 (v2.0 has 124: use its '
                         f'v1.2 labels and config_v1.2.json)')
    for i, label in enumerate(labels):
        got = (label.get('readable'), tuple(label.get('color', ())))
        if got != (V1_CLASSES[i], V1_PALETTE[i]):
            raise ValueError(f'{path!r}: class {i} is {got[0]!r} {got[1]}; expected '
                             f'{V1_CLASSES[i]!r} {V1_PALETTE[i]} of Mapillary Vistas v1.2')


class MapillarySplit(NamedTuple):
    """The folders of one split (absolute) and its label files to convert."""
    img_dir: str
    label_dir: str
    sources: List[str]  # released labels, sorted
    targets: List[str]  # their train-id PNGs, beside them


def find_mapillary_split(data_root: str, split: str) -> MapillarySplit:
    """The images and released labels of ``split`` ('validation' / 'training');
    ``FileNotFoundError`` naming the missing folder, ``ValueError`` for labels without image
    or a split without labels."""
    img_dir = osp.join(data_root, split, 'images')
    label_dirs = [osp.join(data_root, split, 'labels'),
                  osp.join(data_root, split, 'v1.2', 'labels')]
    if not osp.isdir(img_dir):
        raise FileNotFoundError(f'no folder {img_dir!r}: {LAYOUT}')
    label_dir = next((d for d in label_dirs if osp.isdir(d)), None)
    if label_dir is None:
        raise FileNotFoundError(
            f'no folder {" or ".join(repr(d) for d in label_dirs)}: {LAYOUT}')
    sources = sorted(osp.join(label_dir, f) for f in os.listdir(label_dir)
                     if f.endswith('.png') and not f.endswith(SUFFIX) and '.tmp-' not in f)
    if not sources:
        raise ValueError(f'found no label PNGs in {label_dir!r}: {LAYOUT}')
    no_image = [p for p in sources
                if not osp.isfile(osp.join(img_dir, osp.basename(p)[:-4] + '.jpg'))]
    if no_image:
        raise ValueError(f'{len(no_image)} label(s) have no image (.jpg) in {img_dir!r}, e.g. '
                         f'{no_image[0]!r}')
    return MapillarySplit(img_dir, label_dir, sources, [p[:-4] + SUFFIX for p in sources])


def convert_mapillary_label(src: str, dst: str, tmp_tag: str) -> Optional[str]:
    """Write the train-id PNG of the released label ``src`` to ``temp_path(dst, tmp_tag)``
    (moved into place by the caller). Returns None, or the
    problem of a label that is not a v1.2 label (nothing written then)."""
    from PIL import Image
    try:
        ids = read_mapillary_label(src)
    except ValueError as error:
        return str(error)
    Image.fromarray(mapillary_ids_to_train_ids(ids)).save(temp_path(dst, tmp_tag))
    return None


def convert_mapillary_labels(sources: Sequence[str], targets: Sequence[str], nproc: int = 4,
                             progress: bool = True) -> None:
    """Convert released labels to train-id PNGs in ``nproc`` processes (with mmengine's
    progress bar when ``progress``).

    All or nothing: every label is converted to a temporary file first; if any label is bad
    (or the run is interrupted), the temporary files are removed and ``ValueError`` lists the
    bad labels, leaving the folder as it was. Otherwise the files are moved into place.
    """
    tag = str(os.getpid())
    convert_all_or_nothing(convert_mapillary_label,
                           [(s, t, tag) for s, t in zip(sources, targets)], targets, tag,
                           'are not Mapillary Vistas v1.2 labels', nproc=nproc,
                           progress=progress)


def _holds_suffix(folder: str, suffix: str) -> bool:
    with os.scandir(folder) as entries:
        return any(e.name.endswith(suffix) for e in entries)


@DATASETS.register_module()
class MapillaryDataset(CheckedSegDataset):
    """Mapillary Vistas v1.2 with the 19 Cityscapes classes (the converted labels).

    Layout (``data_root``, e.g. ``data/mapillary``): ``validation/images/<id>.jpg`` and
    ``validation/labels/<id>_labelTrainIds.png`` (the default ``data_prefix``; written by
    ``tools/dataset_converters/mapillary.py`` beside the released ``<id>.png``). Images vary in
    size and aspect ratio (mostly 4:3 and 16:9, several megapixels), so the test pipeline
    resizes them and the predictions are scored at the label's full resolution. For the
    66-class labels use mmseg's ``MapillaryDataset_v1``.
    """
    METAINFO = _MMSegCityscapes.METAINFO

    def __init__(self, img_suffix: str = '.jpg', seg_map_suffix: str = SUFFIX,
                 data_prefix: Optional[dict] = None, **kwargs):
        if data_prefix is None:
            data_prefix = dict(img_path='validation/images', seg_map_path='validation/labels')
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         data_prefix=data_prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        how = (f'the train-id labels ending in {self.seg_map_suffix!r} written by '
               f'tools/dataset_converters/mapillary.py')
        check_label_folder(self, how)
        seg_dir = self.data_prefix.get('seg_map_path', '')
        if osp.isdir(seg_dir) and not _holds_suffix(seg_dir, self.seg_map_suffix):
            raise FileNotFoundError(
                f'{self._where()}: the label folder {seg_dir!r} holds no labels ending in '
                f'{self.seg_map_suffix!r}. Convert the released labels first: python '
                f'tools/dataset_converters/mapillary.py <data_root> (docs/dataset_prepare.md).')
        return super().load_data_list()
