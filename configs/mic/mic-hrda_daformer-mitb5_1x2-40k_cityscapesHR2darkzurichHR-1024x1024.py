# MIC on HRDA, Cityscapes -> Dark Zurich (night) (the reference's runs: 'separate' masking of
# [source image 0, target image 0], no colour augmentation, 64 px blocks on the 1024 crops,
# ratio 0.7). Paper: 60.2 mIoU (test split, scored by the server).
_base_ = ['../hrda/hrda_daformer-mitb5_1x2-40k_cityscapesHR2darkzurichHR-1024x1024.py']
model = dict(mic=dict(mask_mode='separate', mask_lambda=1.0))
custom_hooks = [
    dict(type='EMATeacherHook', alpha=0.999),
    dict(type='MaskingHook', mask_ratio=0.7, block_size=64),
]
