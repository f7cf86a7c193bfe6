# Copyright (c) mmuda contributors. All rights reserved.
"""HRDA's "pseudo-label cropping v2": the margins of the target image where pseudo-labels get
no weight (Cityscapes' rectification border and ego-car hood) are marked on the whole image
before it is resized and cropped, so that only a crop at the image border loses them."""
import numpy as np
from mmcv.transforms import BaseTransform, to_tensor
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs

from mmuda.registry import TRANSFORMS

#: the name of the margin map in the results and of the packed field in the data sample
FIELD = 'pseudo_valid'


@TRANSFORMS.register_module()
class MarkPseudoMargins(BaseTransform):
    """Adds ``results['pseudo_valid']``: a (H, W) uint8 map of the loaded image, 0 in the
    ``top``, ``bottom``, ``left``, ``right`` pixel margins (of the image as loaded), 1
    elsewhere; it is listed in ``seg_fields``, so mmseg's Resize (nearest), RandomCrop and
    RandomFlip move it with the image. Put it right after loading; pack with
    :class:`PackUDASegInputs`, which puts it into the data sample, where the UDA teacher
    multiplies it into the pseudo-label weight.
    """

    def __init__(self, top: int = 0, bottom: int = 0, left: int = 0, right: int = 0):
        margins = dict(top=top, bottom=bottom, left=left, right=right)
        bad = {k: v for k, v in margins.items() if not isinstance(v, int) or v < 0}
        if bad:
            raise ValueError(f'MarkPseudoMargins: margins must be integers >= 0, got {bad}')
        self.margins = margins

    def transform(self, results: dict) -> dict:
        h, w = results['img'].shape[:2]
        m = self.margins
        if m['top'] + m['bottom'] >= h or m['left'] + m['right'] >= w:
            raise ValueError(f'MarkPseudoMargins: the margins {m} leave nothing of the '
                             f'{h} x {w} image {results.get("img_path")!r}')
        valid = np.zeros((h, w), dtype=np.uint8)
        valid[m['top']:h - m['bottom'], m['left']:w - m['right']] = 1
        results[FIELD] = valid
        results.setdefault('seg_fields', [])
        if FIELD not in results['seg_fields']:
            results['seg_fields'].append(FIELD)
        return results

    def __repr__(self):
        return f'{type(self).__name__}({self.margins})'


@TRANSFORMS.register_module()
class PackUDASegInputs(PackSegInputs):
    """mmseg's ``PackSegInputs`` that also packs the margin map of
    :class:`MarkPseudoMargins` as ``data_sample.pseudo_valid`` (a PixelData of (1, H, W))."""

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        if FIELD in results:
            packed['data_samples'].set_data(
                {FIELD: PixelData(data=to_tensor(np.ascontiguousarray(results[FIELD])[None]))})
        return packed
