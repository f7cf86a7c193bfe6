# HRDA on Cityscapes -> Dark Zurich (night) at full resolution (Cityscapes 2048 x 1024,
# the target at
# 1920 x 1080, 1024 x 1024 crops; see hrda_daformer-mitb5_1x2-40k_gtaHR2cityscapesHR-1024x1024.py
# for the multi-resolution settings), evaluated on the target's val split in 1024 windows
# (stride 512); the paper's number is the test split's, scored by the server
# (docs/dataset_prepare.md). Paper: 55.9 mIoU (test).
_base_ = [
    '../_base_/models/daformer_mitb5.py',
    '../_base_/datasets/uda_cityscapesHR_to_darkzurichHR_1024x1024.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/adamw_poly_40k.py',
    '../_base_/uda/daformer.py',
]
# training batches are padded to the crop size (the Runner gives the top-level one to the model)
data_preprocessor = dict(size=_base_.crop_size)
student = dict(
    _base_.model, **_base_.hrda_segmentor,
    decode_head=dict(_base_.hrda_head, single_scale_head=_base_.model.decode_head),
    data_preprocessor=dict(_base_.model.data_preprocessor, size=_base_.crop_size))
# no pseudo-label crop margins (the reference crops them for Cityscapes targets only)
model = dict(_delete_=True, type='DACS', model=student, train_cfg=_base_.daformer_train_cfg)
optim_wrapper = dict(constructor='UDAOptimWrapperConstructor',
                     paramwise_cfg=dict(custom_keys=_base_.mit_stage_norms))
