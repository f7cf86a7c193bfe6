# DAFormer (Hoyer et al., CVPR 2022) on GTA5 -> Cityscapes: MiT-B5 + DAFormerHead, DACS
# self-training with Rare Class Sampling and ImageNet feature distance; batch 2 source + 2
# target on one GPU, 40k iterations. Paper: 68.3 mIoU (mean of 3 seeds), ~16 h on an RTX 2080 Ti.
_base_ = [
    '../_base_/models/daformer_mitb5.py',
    '../_base_/datasets/uda_gta_to_cityscapes_512x512.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/adamw_poly_40k.py',
    '../_base_/uda/daformer.py',
]
student = _base_.model
model = dict(
    _delete_=True,
    type='DACS',
    model=student,
    # DAFormer's crop margins on 512 crops (the ego-car hood and the image top)
    train_cfg=dict(_base_.daformer_train_cfg, pseudo_weight_ignore=dict(top=15, bottom=120)))
optim_wrapper = dict(constructor='UDAOptimWrapperConstructor',
                     paramwise_cfg=dict(custom_keys=_base_.mit_stage_norms))
