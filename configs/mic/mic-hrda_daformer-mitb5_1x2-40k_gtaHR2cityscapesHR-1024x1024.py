# MIC on HRDA, GTA5 -> Cityscapes, the paper's headline (75.9 mIoU, mean of 3 seeds): masked
# target images (64 x 64 blocks on the 1024 crops, ratio 0.7) with fresh colour jitter and blur
# ('separatetrgaug') must match the teacher's pseudo-labels of the full image; the masked
# loss is HRDA's whole multi-resolution loss.
_base_ = ['../hrda/hrda_daformer-mitb5_1x2-40k_gtaHR2cityscapesHR-1024x1024.py']
model = dict(mic=dict(mask_mode='separatetrgaug', mask_lambda=1.0))
custom_hooks = [
    dict(type='EMATeacherHook', alpha=0.999),
    dict(type='MaskingHook', mask_ratio=0.7, block_size=64),
]
