# Copyright (c) mmuda contributors. All rights reserved.
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.hooks import Hook

from mmuda.models.uda.base import UDABase
from mmuda.models.utils.seg_losses import stack_labels
from mmuda.registry import HOOKS
from .utils import runner_model

Panel = Optional[np.ndarray]  # an RGB image; None: a blank panel


@HOOKS.register_module()
class UDAVisualizationHook(Hook):
    """Every ``interval`` training iterations, one picture of the UDA step: a row per image of
    the batch (``max_images``), a panel per stage. It goes through the runner's visualiser
    (``runner.visualizer.add_image('uda_vis', ...)``), so every visualisation backend gets
    it: ``LocalVisBackend`` writes ``<log_dir>/vis_data/vis_image/uda_vis_<iter>.png``,
    ``TensorboardVisBackend`` an image tagged ``uda_vis``.

    The panels depend on the task, told by the student (a ``decode_head``: segmentation, a
    ``roi_head``: detection) and on what the method computes:

    - segmentation: source image, source label, target image, teacher pseudo-label, student
      prediction on the target, mixed image and label (DACS), masked image (MIC);
    - detection: source image with its ground-truth boxes, target image with the teacher's
      pseudo-boxes (MIC), target image with the student's boxes scoring >= ``score_thr``,
      masked image (MIC; blank for a target image on which the teacher kept no box).

    Labels and boxes take the dataset palette's colours. The model keeps the step's tensors
    and data samples (``UDABase.debug_state``) only while this hook is registered
    (``keep_debug_state``); the student predicts here, after the step, in eval mode and
    without gradient. Off by default in the benchmark configs: add it to ``custom_hooks``.

    Args:
        interval (int): iterations between two pictures. Defaults to 1000.
        max_images (int): images of the batch shown (rows). Defaults to 2.
        score_thr (float): detection: the student's boxes drawn score at least this.
            Defaults to 0.3.
    """
    priority = 'LOW'

    def __init__(self, interval: int = 1000, max_images: int = 2, score_thr: float = 0.3):
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        if max_images < 1:
            raise ValueError(f'max_images must be >= 1, got {max_images}')
        self.interval = interval
        self.max_images = max_images
        self.score_thr = score_thr

    def before_run(self, runner) -> None:
        model = runner_model(runner)
        if not isinstance(model, UDABase):
            raise TypeError(
                f'UDAVisualizationHook draws the steps of a UDA model (mmuda UDABase: DACS, '
                f'DAFasterRCNN, ...), but the model is {type(model).__name__}; remove the hook '
                f'from custom_hooks')
        student = model.student
        if hasattr(student, 'decode_head'):
            self.task_rows = self.seg_rows
        elif hasattr(student, 'roi_head'):
            self.task_rows = self.det_rows
        else:
            raise TypeError(
                f'UDAVisualizationHook draws segmentors (a decode_head) and two-stage '
                f'detectors (a roi_head); the student {type(student).__name__} has neither')
        model.keep_debug_state = True

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self.every_n_train_iters(runner, self.interval):
            return
        model = runner_model(runner)
        state = model.debug_state
        if 'src_img' not in state:
            return
        vis = runner.visualizer
        palette = (vis.dataset_meta or {}).get('palette') or \
            [(i * 37 % 256, i * 91 % 256, i * 53 % 256) for i in range(256)]
        self.palette = np.asarray(palette, np.uint8)[:256]
        self.lut = np.zeros((256, 3), np.uint8)  # label id -> colour; ignored (255): black
        self.lut[:len(self.palette)] = self.palette
        num = min(self.max_images, state['src_img'].shape[0])
        with torch.no_grad():
            rows = self.task_rows(vis, model, state, num)
        vis.add_image('uda_vis', grid(rows), step=runner.iter + 1)

    # ------------------------------------------------------------------ the tasks' panels
    def seg_rows(self, vis, model: UDABase, state: dict, num: int) -> List[List[Panel]]:
        """Source image and label, target image, pseudo-label, prediction, mixed image and
        label, masked image."""
        src_label = state.get('src_label')
        if src_label is None:
            src_label = stack_labels(state['src_samples'])
        tgt = state.get('tgt_img')
        if tgt is not None:
            pred = predict(model, lambda s: s.encode_decode(
                tgt, [dict(img_shape=tgt.shape[2:])] * tgt.shape[0])).argmax(1)
        rows = []
        for i in range(num):
            row = [self.image(model, state['src_img'][i]), self.label(src_label[i])]
            if tgt is not None:
                row.append(self.image(model, tgt[i]))
                if 'pseudo_label' in state:
                    row.append(self.label(state['pseudo_label'][i]))
                row.append(self.label(pred[i]))
            if 'mixed_img' in state:
                row += [self.image(model, state['mixed_img'][i]),
                        self.label(state['mixed_label'][i])]
            if 'masked_img' in state:
                masked = state['masked_img']  # two images only with mask_mode 'separate*'
                row.append(self.image(model, masked[i]) if i < len(masked) else None)
            rows.append(row)
        return rows

    def det_rows(self, vis, model: UDABase, state: dict, num: int) -> List[List[Panel]]:
        """Source image with its boxes, target image with the teacher's pseudo-boxes, target
        image with the student's boxes, masked image."""
        tgt = state.get('tgt_img')
        if tgt is not None:
            # fresh samples: predict writes its results into the samples it is given
            samples = [DetDataSample(metainfo=s.metainfo) for s in state['tgt_samples']]
            preds = predict(model, lambda s: s.predict(tgt, samples, rescale=False))
        mic = 'pseudo_samples' in state
        rows = []
        for i in range(num):
            row = [self.boxes(vis, self.image(model, state['src_img'][i]),
                              state['src_samples'][i].gt_instances)]
            if tgt is not None:
                target = self.image(model, tgt[i])
                if mic:
                    keep = state['pseudo_keep']
                    pseudo = state['pseudo_samples'][keep.index(i)].gt_instances \
                        if i in keep else None
                    row.append(self.boxes(vis, target, pseudo))
                inst = preds[i].pred_instances
                row.append(self.boxes(vis, target, inst[inst.scores >= self.score_thr]))
                if mic:
                    masked = state.get('masked_img')  # the images with pseudo-boxes only
                    row.append(self.image(model, masked[keep.index(i)])
                               if masked is not None and i in keep else None)
            rows.append(row)
        return rows

    # ------------------------------------------------------------------ drawing
    @staticmethod
    def image(model: UDABase, img: torch.Tensor) -> np.ndarray:
        """A pre-processed (normalised) image as RGB uint8."""
        pre = model.student.data_preprocessor
        mean = torch.as_tensor(pre.mean).view(-1, 1, 1).to(img)
        std = torch.as_tensor(pre.std).view(-1, 1, 1).to(img)
        rgb = (img * std + mean).clamp(0, 255).byte().permute(1, 2, 0).cpu().numpy()
        # images are loaded BGR; the pre-processor made them RGB if it converts channels
        return rgb if getattr(pre, '_channel_conversion', True) else rgb[..., ::-1].copy()

    def label(self, label: torch.Tensor) -> np.ndarray:
        """A label map in the palette's colours."""
        return self.lut[label.cpu().numpy().astype(np.int64).clip(0, 255)]

    def boxes(self, vis, image: np.ndarray, instances) -> np.ndarray:
        """``instances``' boxes drawn on a copy of ``image`` with the visualiser, in their
        classes' colours."""
        if instances is None or len(instances) == 0:
            return image
        colors = [tuple(int(c) for c in self.palette[int(label) % len(self.palette)])
                  for label in instances.labels]
        vis.set_image(image)
        vis.draw_bboxes(instances.bboxes, edge_colors=colors, line_widths=1, alpha=1.0)
        return vis.get_image()


def predict(model: UDABase, run):
    """``run(student)`` with the student in eval mode (then back in its mode)."""
    student = model.student
    was_training = student.training
    student.eval()
    try:
        return run(student)
    finally:
        student.train(was_training)


def grid(rows: Sequence[Sequence[Panel]]) -> np.ndarray:
    """Panels in a grid of equal cells (the largest panel's size; smaller panels at the
    top left of theirs, blank panels black)."""
    panels = [p for row in rows for p in row if p is not None]
    h = max(p.shape[0] for p in panels)
    w = max(p.shape[1] for p in panels)
    out = np.zeros((len(rows) * h, max(len(row) for row in rows) * w, 3), np.uint8)
    for i, row in enumerate(rows):
        for j, panel in enumerate(row):
            if panel is not None:
                out[i * h:i * h + panel.shape[0], j * w:j * w + panel.shape[1]] = panel
    return out
