# DAFormer (Hoyer et al., CVPR 2022) on GTA5 -> Cityscapes: MiT-B5 + DAFormerHead, DACS
# self-training with Rare Class Sampling and ImageNet feature distance; batch 2 source + 2
# target on one GPU, 40k iterations. Paper: 68.3 mIoU (mean of 3 seeds), ~16 h on an RTX 2080 Ti.
_base_ = [
    '../_base_/models/daformer_mitb5.py',
    '../_base_/datasets/uda_gta_to_cityscapes_512x512.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/adamw_poly_40k.py',
]
student = _base_.model
model = dict(
    _delete_=True,
    type='DACS',
    model=student,
    train_cfg=dict(
        pseudo_threshold=0.968,
        # DAFormer's crop margins on 512 crops (the ego-car hood and the image top)
        pseudo_weight_ignore=dict(top=15, bottom=120),
        color_jitter_strength=0.2,
        color_jitter_prob=0.8,
        blur=True,
        # things: pole, traffic light, traffic sign, person, rider, car, truck, bus, train,
        # motorcycle, bicycle (Cityscapes train ids)
        imnet_feature_dist=dict(lambda_=0.005, classes=[6, 7, 11, 12, 13, 14, 15, 16, 17, 18],
                                scale_min_ratio=0.75)))
optim_wrapper = dict(
    constructor='UDAOptimWrapperConstructor',
    # mmseg's MiT names the norm closing each stage `layers.<i>.2`: no weight decay there
    # either, as the reference's norm1..norm4
    paramwise_cfg=dict(custom_keys={
        'backbone.layers.0.2.': dict(decay_mult=0.0),
        'backbone.layers.1.2.': dict(decay_mult=0.0),
        'backbone.layers.2.2.': dict(decay_mult=0.0),
        'backbone.layers.3.2.': dict(decay_mult=0.0)}))
custom_hooks = [dict(type='EMATeacherHook', alpha=0.999)]
randomness = dict(seed=0)
