# T2S-DA (Wang et al., arXiv 2305.13752) on DAFormer, GTA5 -> Cityscapes: DAFormer's DACS
# self-training (configs/daformer/daformer_mitb5_1x2-40k_gta2cityscapes-512x512.py: MiT-B5,
# Rare Class Sampling, ImageNet feature distance, 40k iterations) plus the class-wise pulling
# of pseudo-target features to source prototypes (configs/_base_/uda/t2sda.py).
_base_ = ['../daformer/daformer_mitb5_1x2-40k_gta2cityscapes-512x512.py',
          '../_base_/uda/t2sda.py']
model = dict(_base_.t2sda_model)
