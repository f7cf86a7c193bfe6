# MIC on top of DACS on the embedded synthetic domains: masked target images (ratio 0.7, fresh
# colour jitter and blur: 'separatetrgaug') must match the teacher's pseudo-labels.
# Block size scaled with the image: the reference masks 1/16 of the crop side (32 px blocks on
# DAFormer's 512 crops, 64 px on HRDA's 1024 crops); our images are 128 px high -> 8 px blocks.
# (32 px blocks, a 4 x 8 grid, gave 57.7 target mIoU vs 57.0 for DACS with alpha 0.999.)
_base_ = ['../daformer/dacs_segformer-mitb0_1k_synthetic-src2tgt.py']

model = dict(mic=dict(mask_mode='separatetrgaug', mask_lambda=1.0))
custom_hooks = [
    dict(type='EMATeacherHook', alpha=0.99),
    dict(type='MaskingHook', mask_ratio=0.7, block_size=8),
]
