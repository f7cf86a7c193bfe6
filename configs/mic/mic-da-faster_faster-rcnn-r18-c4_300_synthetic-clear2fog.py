# MIC on top of DA-Faster R-CNN on the embedded synthetic domains, clear -> fog: an EMA
# teacher (constant alpha 0.9, full state dict) pseudo-labels the foggy target (score >= 0.8); the
# student learns them on colour-jittered, blurred, block-masked copies (ratio 0.5).
# Block size scaled with the image, as for segmentation: the reference masks 32 px blocks of
# 800-1600 px images; our images are 128 px high -> 8 px blocks.
_base_ = ['../da_faster/da-faster_faster-rcnn-r18-c4_300_synthetic-clear2fog.py']
model = dict(mic=dict(pseudo_threshold=0.8, mask_lambda=1.0))
custom_hooks = [
    dict(type='EMATeacherHook', alpha=0.9, update_buffers=True, ramp=False),
    dict(type='MaskingHook', mask_ratio=0.5, block_size=8),
]
