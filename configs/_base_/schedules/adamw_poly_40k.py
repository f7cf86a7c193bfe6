# DAFormer's schedule: AdamW lr 6e-5 (head x10), weight decay 0.01 (none on pos_block and
# norm); 40k iterations, evaluation every 4000. The lr of the reference (mmcv 1.x
# PolyLrUpdaterHook with a linear warm-up): poly decay (power 1) over ALL 40k iterations, and
# during the first 1500 the linear warm-up factor multiplied on top of it:
#   lr(t) = lr * (1 - t / 40000) * (1e-6 + (1 - 1e-6) * t / 1500)   for t < 1500,
#   lr(t) = lr * (1 - t / 40000)                                     after.
# mmengine chains schedulers that overlap by multiplying them, so a LinearLR and a PolyLR both
# starting at 0 give exactly that (a PolyLR starting at 1500 would restart the decay there: a
# 4 % higher lr until the end). An mmengine scheduler reaches its final value at step end - 1,
# hence the ends one past 1500 and 40000 (tests/test_uda/test_schedules.py checks the curve).
optimizer = dict(type='AdamW', lr=6e-05, betas=(0.9, 0.999), weight_decay=0.01)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=optimizer,
    paramwise_cfg=dict(custom_keys=dict(
        head=dict(lr_mult=10.0), pos_block=dict(decay_mult=0.0), norm=dict(decay_mult=0.0))))
max_iters = 40000
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500 + 1),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=0, end=max_iters + 1),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=4000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=4000, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # torch's random state in checkpoints: a resumed run is the uninterrupted one, bit for bit
    rng_state=dict(type='RNGStateHook'),
    visualization=dict(type='mmseg.SegVisualizationHook'))
