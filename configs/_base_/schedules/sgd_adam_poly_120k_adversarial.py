# The schedule of AdaptSegNet / ADVENT: the segmentor with SGD (lr 2.5e-4, momentum 0.9,
# weight decay 5e-4, classifiers at 10x lr), the discriminators with Adam (lr 1e-4, betas
# (0.9, 0.99)); both decay as poly(0.9) over 250k iterations and training stops early at
# 120k (ADVENT's EARLY_STOP), i.e. the lr ends at (1 - 120/250)^0.9 = 55 % of its start.
# Methods without discriminators (MinEnt) replace optim_wrapper by the segmentor entry.
segmentor_optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
    # get_10x_lr_params of the reference: the ASPP classifiers (both heads)
    paramwise_cfg=dict(custom_keys={
        'decode_head': dict(lr_mult=10.0),
        'auxiliary_head': dict(lr_mult=10.0)}))
optim_wrapper = dict(
    constructor='UDAOptimWrapperConstructor',
    segmentor=segmentor_optim_wrapper,
    discriminator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))))
max_iters = 120000
# one list: applied to every optimizer of the OptimWrapperDict; an mmengine scheduler
# reaches (1 - t / T) at step t with T = end - begin
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=False, begin=0,
                        end=250000)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=10000, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # torch's random state in checkpoints: a resumed run is the uninterrupted one, bit for bit
    rng_state=dict(type='RNGStateHook'),
    visualization=dict(type='mmseg.SegVisualizationHook'))
