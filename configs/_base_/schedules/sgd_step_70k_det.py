# DA-Faster R-CNN's schedule (krumo/Domain-Adaptive-Faster-RCNN-PyTorch): SGD lr 0.001,
# momentum 0.9, weight decay 5e-4; linear warm-up over 500 iterations from lr / 3; lr x 0.1
# at 50k; 70k iterations of 1 source + 1 target image. Biases as maskrcnn-benchmark's
# defaults (SOLVER.BIAS_LR_FACTOR 2, WEIGHT_DECAY_BIAS 0). The optimizer sees the student
# and the domain classifiers only (UDAOptimWrapperConstructor leaves an EMA teacher out).
# Evaluation and a checkpoint every 5000 iterations (the last 3 kept).
max_iters = 70000
val_interval = 5000
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='UDAOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(bias_lr_mult=2.0, bias_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', milestones=[50000], gamma=0.1, by_epoch=False, begin=0,
         end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=val_interval,
                    max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # torch's random state in checkpoints: a resumed run is the uninterrupted one, bit for bit
    rng_state=dict(type='RNGStateHook'),
    visualization=dict(type='mmdet.DetVisualizationHook'))
