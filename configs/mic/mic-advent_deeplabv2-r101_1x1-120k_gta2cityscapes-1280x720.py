# MIC on AdvEnt (GTA5 -> Cityscapes): the ADVENT config with MIC's masked target consistency
# (its own EMA teacher, alpha 0.999; pseudo-label threshold 0.968; 32 x 32 blocks, ratio 0.7;
# colour jitter p 0.2 and blur on the masked images), run between the generator's and the
# discriminators' passes as the reference's AdvSeg. The MIC paper's Table 1 trains its
# DeepLab-v2 hosts on 512 x 512 crops with DAFormer's schedule (SGD 2.5e-3, warm-up, 40k);
# this config keeps ADVENT's own data and schedule (configs/mic/README.md).
_base_ = ['../advent/advent_deeplabv2-r101_1x1-120k_gta2cityscapes-1280x720.py']
model = dict(mic=_base_.mic_on_host)
custom_hooks = [
    dict(type='EMATeacherHook', alpha=0.999),
    dict(type='MaskingHook', mask_ratio=0.7, block_size=32),
]
