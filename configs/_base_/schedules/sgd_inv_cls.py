# The classification UDA schedule of the references (thuml's TLlib, SDAT, MIC): SGD (Nesterov,
# momentum 0.9, weight decay 1e-3), lr 0.002 with the backbone at 0.1x, decayed every
# iteration as lr x (1 + 0.001 t)^-0.75; the domain discriminator has its own SGD with the same
# settings and schedule; 1000 iterations an "epoch" (validation and checkpoint).
lr = 0.002
optimizer = dict(type='SGD', lr=lr, momentum=0.9, weight_decay=1e-3, nesterov=True)
backbone_mult = dict(custom_keys={'backbone': dict(lr_mult=0.1)})
# source only (one optimizer)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, paramwise_cfg=backbone_mult)
# with a discriminator: one entry per optimizer; the classifier's is SAM for SDAT / MIC
# (rho 0.02, the reference's ViT value), plain for CDAN / CDAN + MCC
classifier_optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer,
                                paramwise_cfg=backbone_mult)
sam_classifier_wrapper = dict(classifier_optim_wrapper, type='SAMOptimWrapper', rho=0.02)
discriminator_optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)
adversarial_optim_wrapper = dict(constructor='UDAOptimWrapperConstructor',
                                 classifier=classifier_optim_wrapper,
                                 discriminator=discriminator_optim_wrapper)
sam_adversarial_optim_wrapper = dict(adversarial_optim_wrapper, classifier=sam_classifier_wrapper)
param_scheduler = [dict(type='InverseDecayLR', gamma=0.001, power=0.75, by_epoch=False)]
iters_per_epoch = 1000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=15 * iters_per_epoch,
                 val_interval=iters_per_epoch)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=iters_per_epoch,
                    max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # torch's random state in checkpoints: a resumed run is the uninterrupted one, bit for bit
    rng_state=dict(type='RNGStateHook'))
