# The synthetic schedule (schedule_synthetic.py: AdamW 1e-3, linear warm-up 100, poly decay
# over the 1000 iterations) for the segmentor of the DeepLab-v2 family, and ADVENT's
# discriminator optimizer (Adam 1e-4, betas (0.9, 0.99)) under the same lr curve.
# The reference trains an ImageNet-initialised ResNet-101 with SGD 2.5e-4 for 120k
# iterations; the CPU-sized model starts from scratch and has 1000 iterations, so it takes
# the schedule of the other synthetic segmentation methods (configs/advent/README.md).
_base_ = ['./schedule_synthetic.py']
segmentor_optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys=dict(norm=dict(decay_mult=0.0))))
optim_wrapper = dict(
    _delete_=True,
    constructor='UDAOptimWrapperConstructor',
    segmentor=segmentor_optim_wrapper,
    discriminator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))))
