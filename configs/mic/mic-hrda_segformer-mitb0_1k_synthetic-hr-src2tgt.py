# MIC on HRDA on the 256 x 512 embedded domains: masked target crops (ratio 0.7, fresh colour
# jitter and blur: 'separatetrgaug'), 16 px blocks on the 256 x 512 crops (the reference's 64
# px on 1024 crops: 1/16 of the height); the masked loss is HRDA's multi-resolution loss.
_base_ = ['../hrda/hrda_segformer-mitb0_1k_synthetic-hr-src2tgt.py']
model = dict(mic=dict(mask_mode='separatetrgaug', mask_lambda=1.0))
custom_hooks = [
    dict(type='EMATeacherHook', alpha=0.99),
    dict(type='MaskingHook', mask_ratio=0.7, block_size=16),
]
