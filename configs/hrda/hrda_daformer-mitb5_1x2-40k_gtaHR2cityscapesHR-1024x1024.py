# HRDA (Hoyer, Dai, Van Gool, ECCV 2022) on GTA5 -> Cityscapes: DAFormer (MiT-B5, DACS
# self-training, Rare Class Sampling, ImageNet feature distance) trained on 1024 x 1024
# full-resolution crops through two views: the whole crop at half resolution (context, 512 x
# 512) and a random 512 x 512 detail crop at full resolution (corner divisible by 8), one
# DAFormer head for both, a class-wise scale attention (1x1-fusion head) from the context
# features, loss 0.9 x fused + 0.1 x detail. Pseudo-labels: the teacher on the whole 1024 crop
# with sliding detail windows (512, stride 256). Test: 1024 windows, stride 512, at 2048 x 1024.
# Paper: 73.8 mIoU (mean of 3 seeds); reference cost 32 h and 22.5 GB on a Titan RTX.
_base_ = [
    '../_base_/models/daformer_mitb5.py',
    '../_base_/datasets/uda_gtaHR_to_cityscapesHR_1024x1024.py',
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
model = dict(
    _delete_=True,
    type='DACS',
    model=student,
    # the pseudo-label crop margins are marked on the whole target image before its crop
    # (the data config's MarkPseudoMargins, the reference's "pseudo-label cropping v2")
    train_cfg=_base_.daformer_train_cfg)
optim_wrapper = dict(constructor='UDAOptimWrapperConstructor',
                     paramwise_cfg=dict(custom_keys=_base_.mit_stage_norms))
