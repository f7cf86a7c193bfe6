default_scope = 'mmuda'
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
# DDP that also runs on CPU-only machines (gloo); see mmuda/models/wrappers.py
# (the Runner looks wrappers up in mmengine's root registry, hence the explicit scope)
model_wrapper_cfg = dict(type='mmuda.UDADistributedDataParallel')
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='mmseg.SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
# `tools/test.py --tta` wraps the model in this and tests on the dataset's `tta_pipeline`:
# mmseg's SegTTAModel (softmax of the views averaged) for UDA models too
tta_model = dict(type='UDASegTTAModel')
