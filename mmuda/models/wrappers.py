# Copyright (c) mmuda contributors. All rights reserved.
import torch
import torch.distributed as dist
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

    A UDA model (one whose ``train_step`` accepts ``grad_sync``) runs several forward/backward
    passes per iteration outside DDP's ``forward``, so DDP's reducer does not see them; for such
    models this wrapper averages the gradients of all trainable parameters over the processes
    once, right before the single optimizer step (one flattened all-reduce per dtype).
    """

    def __init__(self, module, detect_anomalous_params: bool = False, **kwargs):
        first = next(iter(module.parameters()), None)
        if first is not None and first.device.type == 'cpu':
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        super().__init__(module, detect_anomalous_params=detect_anomalous_params, **kwargs)

    def train_step(self, data, optim_wrapper):
        if not getattr(self.module, 'supports_grad_sync', False):
            return super().train_step(data, optim_wrapper)
        return self.module.train_step(data, optim_wrapper, grad_sync=self._average_gradients)

    def _average_gradients(self) -> None:
        params = [p for p in self.module.parameters() if p.requires_grad]
        world_size = dist.get_world_size()
        by_dtype = {}
        for p in params:
            if p.grad is None:  # unused in this iteration on this rank: reduce zeros
                p.grad = torch.zeros_like(p)
            by_dtype.setdefault(p.grad.dtype, []).append(p.grad)
        for grads in by_dtype.values():
            flat = torch.cat([g.reshape(-1) for g in grads])
            dist.all_reduce(flat)
            flat.div_(world_size)
            offset = 0
            for g in grads:
                g.copy_(flat[offset:offset + g.numel()].view_as(g))
                offset += g.numel()
