# Copyright (c) mmuda contributors. All rights reserved.
"""The data sample of image classification (one label per image)."""
from numbers import Integral
from typing import Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement

LabelLike = Union[int, np.integer, np.ndarray, torch.Tensor]


def to_label(value: LabelLike) -> torch.Tensor:
    """A class index as a 0-dim ``torch.long`` tensor; ``TypeError`` / ``ValueError`` for
    anything but one integer."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        if (value.size if isinstance(value, np.ndarray) else value.numel()) != 1:
            raise ValueError(f'a class label is one integer, got shape {tuple(value.shape)}')
        if isinstance(value, np.ndarray):
            value = torch.from_numpy(value)
        if value.dtype.is_floating_point or value.dtype == torch.bool:
            raise TypeError(f'a class label is an integer, got dtype {value.dtype}')
        return value.detach().reshape(()).to(torch.long)
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f'a class label is an integer, got {type(value).__name__} {value!r}')
    return torch.tensor(int(value), dtype=torch.long)


def to_score(value: Union[np.ndarray, torch.Tensor, list]) -> torch.Tensor:
    """Class scores as a float tensor of shape (C,)."""
    if not isinstance(value, torch.Tensor):
        value = torch.as_tensor(np.asarray(value))
    if value.dim() != 1:
        raise ValueError(f'pred_score holds one score per class (shape (C,)), got shape '
                         f'{tuple(value.shape)}')
    return value if value.dtype.is_floating_point else value.float()


class ClsDataSample(BaseDataElement):
    """``gt_label`` and ``pred_label`` (0-dim ``torch.long``; set from an int, a numpy integer
    or a one-element tensor) and ``pred_score`` (float (C,)), plus the image's meta info."""

    @property
    def gt_label(self) -> torch.Tensor:
        return self._gt_label

    @gt_label.setter
    def gt_label(self, value: LabelLike) -> None:
        self.set_field(to_label(value), '_gt_label', dtype=torch.Tensor)

    @gt_label.deleter
    def gt_label(self) -> None:
        del self._gt_label

    @property
    def pred_label(self) -> torch.Tensor:
        return self._pred_label

    @pred_label.setter
    def pred_label(self, value: LabelLike) -> None:
        self.set_field(to_label(value), '_pred_label', dtype=torch.Tensor)

    @pred_label.deleter
    def pred_label(self) -> None:
        del self._pred_label

    @property
    def pred_score(self) -> torch.Tensor:
        return self._pred_score

    @pred_score.setter
    def pred_score(self, value) -> None:
        self.set_field(to_score(value), '_pred_score', dtype=torch.Tensor)

    @pred_score.deleter
    def pred_score(self) -> None:
        del self._pred_score
