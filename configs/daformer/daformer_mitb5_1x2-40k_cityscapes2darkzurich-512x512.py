# DAFormer on Cityscapes -> Dark Zurich (night): the DAFormer setting of the reference
# (Cityscapes 1024 x 512, the target at 960 x 540, 512 x 512 crops, Rare Class Sampling on the
# Cityscapes source), evaluated on the target's val split; the paper's number is the test
# split's, scored by the server (docs/dataset_prepare.md). Paper: 53.8 mIoU (test).
_base_ = [
    '../_base_/models/daformer_mitb5.py',
    '../_base_/datasets/uda_cityscapes_to_darkzurich_512x512.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/adamw_poly_40k.py',
    '../_base_/uda/daformer.py',
]
# no pseudo-label crop margins: the target has no ego-car hood or rectification border (the
# reference crops them for Cityscapes targets only)
model = dict(_delete_=True, type='DACS', model=_base_.model, train_cfg=_base_.daformer_train_cfg)
optim_wrapper = dict(constructor='UDAOptimWrapperConstructor',
                     paramwise_cfg=dict(custom_keys=_base_.mit_stage_norms))
