# MIC on top of DACS on the embedded synthetic domains: masked target images (block 32, ratio
# 0.7, fresh colour jitter and blur: 'separatetrgaug') must match the teacher's pseudo-labels.
_base_ = ['../daformer/dacs_segformer-mitb0_1k_synthetic-src2tgt.py']

model = dict(mic=dict(mask_mode='separatetrgaug', mask_lambda=1.0))
custom_hooks = [
    dict(type='EMATeacherHook', alpha=0.999),
    dict(type='MaskingHook', mask_ratio=0.7, block_size=32),
]
