# Copyright (c) mmuda contributors. All rights reserved.
import os
import os.path as osp

import cv2
import numpy as np
import torch
from mmengine.hooks import Hook

from mmuda.registry import HOOKS
from .utils import runner_model


@HOOKS.register_module()
class UDAVisualizationHook(Hook):
    """Every ``interval`` training iterations, write one PNG of the UDA step to
    ``<log_dir>/uda_vis/iter_<n>.png``: source image and label, target image, teacher
    pseudo-label, the student's prediction on the target, the mixed image and label and, for
    MIC, the masked image. Labels are coloured with the dataset palette.

    The model keeps the step's tensors only while this hook is registered
    (``keep_debug_state``); the prediction is made here, after the step, without gradient.
    Off by default in the benchmark configs: add it to ``custom_hooks``.

    Args:
        interval (int): iterations between two images. Defaults to 1000.
        max_images (int): images of the batch shown (rows). Defaults to 2.
    """
    priority = 'LOW'

    def __init__(self, interval: int = 1000, max_images: int = 2):
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.interval = interval
        self.max_images = max_images

    def before_run(self, runner) -> None:
        model = runner_model(runner)
        if not hasattr(model, 'keep_debug_state'):
            raise AttributeError('UDAVisualizationHook needs a UDA model (mmuda.UDABase)')
        model.keep_debug_state = True
        meta = getattr(runner.train_dataloader.dataset, 'metainfo', {}) \
            if hasattr(runner, 'train_dataloader') else {}
        palette = meta.get('palette') or [[i * 37 % 256, i * 91 % 256, i * 53 % 256]
                                          for i in range(256)]
        self.lut = np.zeros((256, 3), np.uint8)
        self.lut[:len(palette)] = np.asarray(palette, np.uint8)

    def _image(self, model, img):
        pre = model.student.data_preprocessor
        mean = torch.as_tensor(pre.mean).view(-1, 1, 1).to(img)
        std = torch.as_tensor(pre.std).view(-1, 1, 1).to(img)
        rgb = (img * std + mean).clamp(0, 255).byte().permute(1, 2, 0).cpu().numpy()
        return rgb  # the pre-processor converted BGR to RGB

    def _label(self, label):
        return self.lut[label.cpu().numpy().astype(np.int64).clip(0, 255)]

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self.every_n_train_iters(runner, self.interval):
            return
        model = runner_model(runner)
        state = model.debug_state
        if 'src_img' not in state:
            return
        with torch.no_grad():
            was_training = model.student.training
            model.student.eval()
            logits = model.student.encode_decode(
                state['tgt_img'], [dict(img_shape=state['tgt_img'].shape[2:])] *
                state['tgt_img'].shape[0])
            model.student.train(was_training)
        pred = logits.argmax(1)
        rows = []
        for i in range(min(self.max_images, state['src_img'].shape[0])):
            panels = [self._image(model, state['src_img'][i]),
                      self._label(state['src_label'][i]),
                      self._image(model, state['tgt_img'][i])]
            if 'pseudo_label' in state:
                panels.append(self._label(state['pseudo_label'][i]))
            panels.append(self._label(pred[i]))
            if 'mixed_img' in state:
                panels += [self._image(model, state['mixed_img'][i]),
                           self._label(state['mixed_label'][i])]
            if 'masked_img' in state:
                panels.append(self._image(model, state['masked_img'][i]))
            rows.append(np.concatenate(panels, 1))
        out_dir = osp.join(runner.log_dir, 'uda_vis')
        os.makedirs(out_dir, exist_ok=True)
        path = osp.join(out_dir, f'iter_{runner.iter + 1}.png')
        cv2.imwrite(path, cv2.cvtColor(np.concatenate(rows, 0), cv2.COLOR_RGB2BGR))
