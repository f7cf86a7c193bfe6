# MIC on MinEnt (GTA5 -> Cityscapes): the MinEnt config with MIC (as
# mic-advent_deeplabv2-r101_1x1-120k_gta2cityscapes-1280x720.py), after the entropy pass as
# the reference's MinEnt.
_base_ = ['../advent/minent_deeplabv2-r101_1x1-120k_gta2cityscapes-1280x720.py']
model = dict(mic=_base_.mic_on_host)
custom_hooks = [
    dict(type='EMATeacherHook', alpha=0.999),
    dict(type='MaskingHook', mask_ratio=0.7, block_size=32),
]
