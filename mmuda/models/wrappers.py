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

    With ``broadcast_buffers`` (DDP's argument, default True) every process gets rank 0's
    buffers after each step, for any model: DDP broadcasts them only before its forward, so
    the BN statistics of the last forward would differ across processes during validation and
    in the checkpoint. For BN statistics computed over all processes use ``SyncBN`` in the
    model's ``norm_cfg`` (GPU).
    """

    def __init__(self, module, detect_anomalous_params: bool = False, **kwargs):
        first = next(iter(module.parameters()), None)
        if first is not None and first.device.type == 'cpu':
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        super().__init__(module, detect_anomalous_params=detect_anomalous_params, **kwargs)

    def train_step(self, data, optim_wrapper):
        if getattr(self.module, 'supports_grad_sync', False):
            log_vars = self.module.train_step(data, optim_wrapper,
                                              grad_sync=self._average_gradients)
        else:  # DDP's own step (it broadcasts the buffers before its forward only)
            log_vars = super().train_step(data, optim_wrapper)
        if self.broadcast_buffers:
            self._broadcast_buffers()
        return log_vars

    def _average_gradients(self) -> None:
        """Average the gradients of all trainable parameters over the processes."""
        params = [p for p in self.module.parameters() if p.requires_grad]
        for p in params:
            if p.grad is None:  # unused in this iteration on this rank: reduce zeros
                p.grad = torch.zeros_like(p)
        world_size = dist.get_world_size()

        def average(flat):
            dist.all_reduce(flat)
            flat.div_(world_size)

        _coalesced([p.grad for p in params], average)

    def _broadcast_buffers(self) -> None:
        """Give every process rank 0's buffers (BN running statistics, of the student and of
        the frozen copies), as DDP's ``broadcast_buffers`` does; here after each step, so
        that validation, the checkpoint and the next step all see the same buffers."""
        _coalesced(list(self.module.buffers()), lambda flat: dist.broadcast(flat, src=0))


def _coalesced(tensors, collective) -> None:
    """Run ``collective`` in place on one flattened tensor per dtype, then copy back."""
    by_dtype = {}
    for t in tensors:
        by_dtype.setdefault(t.dtype, []).append(t)
    for group in by_dtype.values():
        flat = torch.cat([t.reshape(-1) for t in group])
        collective(flat)
        offset = 0
        for t in group:
            t.copy_(flat[offset:offset + t.numel()].view_as(t))
            offset += t.numel()
