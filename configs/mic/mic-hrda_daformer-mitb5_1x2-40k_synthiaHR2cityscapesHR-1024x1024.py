# MIC on HRDA, SYNTHIA -> Cityscapes (paper: 67.3 mIoU16, mean of 3 seeds).
_base_ = ['../hrda/hrda_daformer-mitb5_1x2-40k_synthiaHR2cityscapesHR-1024x1024.py']
model = dict(mic=dict(mask_mode='separatetrgaug', mask_lambda=1.0))
custom_hooks = [
    dict(type='EMATeacherHook', alpha=0.999),
    dict(type='MaskingHook', mask_ratio=0.7, block_size=64),
]
