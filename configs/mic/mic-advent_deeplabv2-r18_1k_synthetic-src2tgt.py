# MIC on AdvEnt on the embedded synthetic domains: the AdvEnt synthetic config with MIC's
# masked target consistency; EMA momentum and block size scaled to the 1k schedule and the
# 128 px images as the other synthetic MIC config (alpha 0.99, 8 px blocks).
_base_ = ['../advent/advent_deeplabv2-r18_1k_synthetic-src2tgt.py']
model = dict(mic=_base_.mic_on_host)
custom_hooks = [
    dict(type='EMATeacherHook', alpha=0.99),
    dict(type='MaskingHook', mask_ratio=0.7, block_size=8),
]
