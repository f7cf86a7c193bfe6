# MIC on DAFormer, Cityscapes -> ACDC (fog, night, rain, snow): as the reference's runs on
# this benchmark, the
# masked batch is [source image 0, target image 0] with weights [1, pseudo-label weight] and no
# colour augmentation ('separate'); 32 px blocks on the 512 crops, ratio 0.7.
_base_ = ['../daformer/daformer_mitb5_1x2-40k_cityscapes2acdc-512x512.py']
model = dict(mic=dict(mask_mode='separate', mask_lambda=1.0))
custom_hooks = [
    dict(type='EMATeacherHook', alpha=0.999),
    dict(type='MaskingHook', mask_ratio=0.7, block_size=32),
]
