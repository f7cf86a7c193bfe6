# Copyright (c) mmuda contributors. All rights reserved.
"""The submission of a test split to the ACDC or Dark Zurich evaluation server.

Neither test split has public labels: ``tools/test.py`` with this metric as the
``test_evaluator`` (the ``*_test_server_*`` variables of
``configs/_base_/datasets/uda_cityscapes*_to_{acdc,darkzurich}*.py``) writes one prediction PNG
per test image and a zip file to upload. What the servers expect:

* both: one 8-bit PNG per test image at the image's size (1920 x 1080), holding Cityscapes
  train ids (road = 0, ..., bicycle = 18), named as the image
  (``<sequence>_frame_<n>_rgb_anon.png``), in a ``labelTrainIds/`` folder. The reference
  (lhoyer/MIC, seg/README.md) writes them with ``tools.test --test-set --format-only
  --eval-option imgfile_prefix=labelTrainIds to_label_id=False``: train ids, not the label ids
  of mmseg's ``CityscapesMetric``, and ``<image name>.png``. ACDC's submission page asks for
  train ids at the input image size; the ``labelTrainIds/`` folder in its zip follows the
  reference's output folder (``pred_folder=''`` writes a flat zip instead).
* Dark Zurich (CodaLab, competition 3783) evaluates mIoU and the uncertainty-aware UIoU and
  needs three folders in the zip: ``labelTrainIds/``, ``labelTrainIds_invalid/`` (the same
  predictions with 255 where the model abstains; here a copy, no pixel invalid, which leaves
  the IoU as it is) and ``confidence/`` (16-bit PNGs, 0..65535 for confidence 0..1; here the
  softmax maximum when the model returns ``seg_logits``, else 65535). Predictions are found by
  the name pattern ``<sequence>_frame_<frame:06d>*.png``.

The files are written to a temporary folder and zipped to a temporary file, then renamed into
place: ``<output_dir>/<name>/`` (the folders) and ``<output_dir>/<name>.zip``, so an error or
an interruption leaves no half-written submission.
"""
import os
import os.path as osp
import shutil
import tempfile
import zipfile
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.logging import MMLogger
from mmseg.evaluation import IoUMetric

from mmuda.registry import METRICS

PRED_FOLDER = 'labelTrainIds'
INVALID_FOLDER = 'labelTrainIds_invalid'
CONFIDENCE_FOLDER = 'confidence'
#: benchmark -> whether its server wants the uncertainty folders (confidence, invalid)
BENCHMARKS = {'acdc': False, 'dark_zurich': True}


def encode_png(array: np.ndarray) -> bytes:
    """PNG bytes of a 2-D uint8 or uint16 array (one channel)."""
    ok, buf = cv2.imencode('.png', array)
    if not ok:
        raise ValueError(f'could not encode an array of shape {array.shape} and dtype '
                         f'{array.dtype} as PNG')
    return buf.tobytes()


def _array(data) -> np.ndarray:
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    return np.asarray(data)


def confidence_map(seg_logits: Optional[np.ndarray], shape) -> np.ndarray:
    """uint16 confidence (65535 = 1) of size ``shape``: the softmax maximum over the classes
    of ``seg_logits`` (C x H x W; resized when of another size), or 65535 everywhere without
    logits."""
    if seg_logits is None or seg_logits.ndim != 3:
        return np.full(shape, 65535, np.uint16)
    logits = seg_logits.astype(np.float32)
    logits = logits - logits.max(axis=0, keepdims=True)
    conf = 1.0 / np.exp(logits).sum(axis=0)  # the maximum's probability: exp(0) / sum
    if conf.shape != tuple(shape):  # logits at another scale than the prediction
        conf = cv2.resize(conf, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.clip(np.rint(conf * 65535), 0, 65535).astype(np.uint16)


@METRICS.register_module()
class ServerSubmissionMetric(IoUMetric):
    """Write the prediction PNGs and the zip file that the ACDC or Dark Zurich test server
    takes (module docstring), and, with ``format_only=False`` (a labelled split, e.g. to check
    the export on val), mmseg's IoU metrics too.

    Args:
        benchmark (str): 'acdc' or 'dark_zurich'.
        output_dir (str): where the submission goes: ``<output_dir>/<name>/`` and
            ``<output_dir>/<name>.zip``. An earlier submission of the same name is replaced.
        name (str, optional): defaults to ``<benchmark>_submission``.
        uncertainty (bool, optional): also write ``labelTrainIds_invalid/`` and
            ``confidence/``; defaults to True for Dark Zurich, False for ACDC.
        pred_folder (str): the folder of the predictions in the zip; '' puts them at its top
            (only without ``uncertainty``). Defaults to 'labelTrainIds'.
        format_only (bool): only write the submission (the test splits have no labels).
            Defaults to True.
        keep_results: accepted for ``tools/test.py --out`` (which sets it); the submission is
            always kept.
        **kwargs: passed to mmseg's ``IoUMetric`` (``iou_metrics``, ``ignore_index``, ...).
    """

    def __init__(self, benchmark: str, output_dir: str, name: Optional[str] = None,
                 uncertainty: Optional[bool] = None, pred_folder: str = PRED_FOLDER,
                 format_only: bool = True, keep_results: bool = True, **kwargs) -> None:
        if benchmark not in BENCHMARKS:
            raise ValueError(f'ServerSubmissionMetric: benchmark {benchmark!r} is not one of '
                             f'{sorted(BENCHMARKS)}')
        if not output_dir:
            raise ValueError('ServerSubmissionMetric: output_dir must name the folder the '
                             'submission is written to')
        # the parent writes nothing (output_dir=None): the files are written here
        super().__init__(output_dir=None, format_only=format_only, **kwargs)
        self.benchmark = benchmark
        self.submission_dir = output_dir
        self.name = name or f'{benchmark}_submission'
        self.uncertainty = BENCHMARKS[benchmark] if uncertainty is None else bool(uncertainty)
        if self.uncertainty and pred_folder != PRED_FOLDER:
            raise ValueError(f'ServerSubmissionMetric: with the uncertainty folders the '
                             f'predictions must be in {PRED_FOLDER!r}, got {pred_folder!r}')
        self.pred_folder = pred_folder.strip('/')

    @property
    def zip_path(self) -> str:
        return osp.join(self.submission_dir, self.name + '.zip')

    @property
    def folder_path(self) -> str:
        return osp.join(self.submission_dir, self.name)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        num_classes = len(self.dataset_meta['classes'])
        for sample in data_samples:
            img_path = sample.get('img_path') or ''
            pred = _array(sample['pred_sem_seg']['data']).squeeze()
            if pred.ndim != 2:
                raise ValueError(f'the prediction of {img_path!r} has shape {pred.shape}; '
                                 f'expected one H x W map of train ids')
            ori_shape = sample.get('ori_shape')
            if ori_shape is not None and tuple(pred.shape) != tuple(ori_shape[:2]):
                raise ValueError(
                    f'the prediction of {img_path!r} is {pred.shape[1]} x {pred.shape[0]}; '
                    f'the server expects the image size {ori_shape[1]} x {ori_shape[0]} (the '
                    f'model must resize its predictions back to the input image)')
            if pred.size and (pred.min() < 0 or pred.max() >= num_classes):
                raise ValueError(f'the prediction of {img_path!r} holds ids '
                                 f'{int(pred.min())}..{int(pred.max())}; expected train ids '
                                 f'0..{num_classes - 1}')
            train_ids = pred.astype(np.uint8)
            file_name = osp.splitext(osp.basename(img_path))[0] + '.png'
            labels = encode_png(train_ids)
            files = {'/'.join(filter(None, (self.pred_folder, file_name))): labels}
            if self.uncertainty:
                files[f'{INVALID_FOLDER}/{file_name}'] = labels
                logits = sample.get('seg_logits')
                logits = _array(logits['data']) if logits is not None else None
                files[f'{CONFIDENCE_FOLDER}/{file_name}'] = encode_png(
                    confidence_map(logits, train_ids.shape))
            iou = None
            if not self.format_only:
                label = sample['gt_sem_seg']['data'].squeeze().to(sample['pred_sem_seg']['data'])
                iou = self.intersect_and_union(sample['pred_sem_seg']['data'].squeeze(), label,
                                               num_classes, self.ignore_index)
            self.results.append(dict(image=img_path, files=files, iou=iou))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        logger: MMLogger = MMLogger.get_current_instance()
        self.write_submission(results)
        logger.info(f'{len(results)} predictions for the {self.benchmark} test server: '
                    f'{self.zip_path} (the files also in {self.folder_path})')
        if self.format_only:
            return OrderedDict()
        return super().compute_metrics([r['iou'] for r in results])

    def write_submission(self, results: List[dict]) -> str:
        """Write the folders and the zip file of ``results`` (all or nothing); returns the
        zip file's path."""
        if not results:
            raise ValueError(f'no predictions to submit to the {self.benchmark} server: the '
                             f'test dataset is empty')
        owner: Dict[str, str] = {}
        contents: Dict[str, bytes] = {}
        for result in results:
            for entry, data in result['files'].items():
                if entry in owner:
                    raise ValueError(f'two test images give the same submission file {entry!r}:'
                                     f' {owner[entry]!r} and {result["image"]!r}')
                owner[entry] = result['image']
                contents[entry] = data
        os.makedirs(self.submission_dir, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=f'.{self.name}.tmp-', dir=self.submission_dir)
        tmp_zip = staging + '.zip'
        try:
            os.chmod(staging, 0o755)  # mkdtemp makes it private
            for entry in sorted(contents):
                path = osp.join(staging, *entry.split('/'))
                os.makedirs(osp.dirname(path), exist_ok=True)
                with open(path, 'wb') as f:
                    f.write(contents[entry])
            with zipfile.ZipFile(tmp_zip, 'w', zipfile.ZIP_DEFLATED) as archive:
                for entry in sorted(contents):
                    archive.writestr(entry, contents[entry])
            os.replace(tmp_zip, self.zip_path)
            if osp.isdir(self.folder_path):
                shutil.rmtree(self.folder_path)
            os.replace(staging, self.folder_path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if osp.exists(tmp_zip):
                os.remove(tmp_zip)
            raise
        return self.zip_path


def read_submission(path: str) -> Dict[str, np.ndarray]:
    """The entries of a submission zip file, decoded (name -> array as stored)."""
    with zipfile.ZipFile(path) as archive:
        return {name: cv2.imdecode(np.frombuffer(archive.read(name), np.uint8),
                                   cv2.IMREAD_UNCHANGED)
                for name in archive.namelist()}
