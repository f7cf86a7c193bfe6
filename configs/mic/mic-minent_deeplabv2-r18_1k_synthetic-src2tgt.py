# MIC on MinEnt on the embedded synthetic domains (as mic-advent_deeplabv2-r18_1k_...).
_base_ = ['../advent/minent_deeplabv2-r18_1k_synthetic-src2tgt.py']
model = dict(mic=_base_.mic_on_host)
custom_hooks = [
    dict(type='EMATeacherHook', alpha=0.99),
    dict(type='MaskingHook', mask_ratio=0.7, block_size=8),
]
