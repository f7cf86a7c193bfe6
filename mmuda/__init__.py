# Copyright (c) mmuda contributors. All rights reserved.
"""mmuda: unsupervised domain adaptation on the OpenMMLab 2.x stack."""
import mmcv
import mmengine
from mmengine.utils import digit_version

from .utils.checkpoint import allowlist_checkpoint_classes
from .version import __version__, version_info

MMCV_MIN, MMCV_MAX = '2.0.0', '2.2.0'
MMENGINE_MIN, MMENGINE_MAX = '0.10.0', '1.0.0'


def _check_version(name: str, version: str, low: str, high: str) -> None:
    if not digit_version(low) <= digit_version(version) < digit_version(high):
        raise RuntimeError(
            f'mmuda {__version__} needs {low} <= {name} < {high}, but {name} {version} is '
            f'installed; see docs/get_started.md')


_check_version('mmcv', mmcv.__version__, MMCV_MIN, MMCV_MAX)
_check_version('mmengine', mmengine.__version__, MMENGINE_MIN, MMENGINE_MAX)
# torch >= 2.6 loads checkpoints with weights_only=True: allow the classes that mmengine's own
# checkpoints hold, so that --resume works without trusting arbitrary pickles.
allowlist_checkpoint_classes()

__all__ = ['__version__', 'version_info', 'digit_version']
