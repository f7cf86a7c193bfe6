# MIC on DAFormer, GTA5 -> Cityscapes: masked target images (block 32 on 512 crops = 1/16 of
# the side, ratio 0.7) with fresh colour jitter and blur ('separatetrgaug') must match the
# teacher's pseudo-labels of the full image. The paper's headline (75.9) is MIC on HRDA.
_base_ = ['../daformer/daformer_mitb5_1x2-40k_gta2cityscapes-512x512.py']
model = dict(mic=dict(mask_mode='separatetrgaug', mask_lambda=1.0))
custom_hooks = [
    dict(type='EMATeacherHook', alpha=0.999),
    dict(type='MaskingHook', mask_ratio=0.7, block_size=32),
]
