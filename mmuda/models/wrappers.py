# Copyright (c) mmuda contributors. All rights reserved.
from mmengine.model import MMDistributedDataParallel

from mmuda.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class UDADistributedDataParallel(MMDistributedDataParallel):
    """mmengine's DDP wrapper, usable on CPU machines too.

    mmengine's Runner always passes ``device_ids=[LOCAL_RANK]``, which torch's DDP rejects for a
    module on the CPU. This wrapper drops ``device_ids`` and ``output_device`` when the module
    lives on the CPU (gloo backend) and is otherwise mmengine's ``MMDistributedDataParallel``.
    Parameters that a model lists in ``_ddp_params_and_buffers_to_ignore`` (torch's own
    mechanism, used for EMA teachers and frozen copies) are neither broadcast nor reduced.
    """

    def __init__(self, module, detect_anomalous_params: bool = False, **kwargs):
        first = next(iter(module.parameters()), None)
        if first is not None and first.device.type == 'cpu':
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        super().__init__(module, detect_anomalous_params=detect_anomalous_params, **kwargs)
