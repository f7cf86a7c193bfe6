# HRDA on the embedded synthetic domains at 256 x 512 (synthetic_domains_hr.py), on the DACS
# self-training of dacs_segformer-mitb0_1k_synthetic-src2tgt.py, the reference's geometry
# scaled to these images: the training crop is the whole 256 x 512 image (the reference: 1024 x
# 1024 crops, half of Cityscapes' 2048 x 1024 width), seen as a context at half resolution
# (128 x 256, exactly what DACS at half resolution sees: dacs_segformer-mitb0_1k_synthetic-hr-lr
# -src2tgt.py) plus a random 128 x 256 detail crop at full resolution (half the crop side, as
# the reference's 512 of 1024); pseudo-labels with sliding 128 x 256 detail windows (stride
# half a window, 9 windows as the reference's); test on the whole image. The shared head is the
# CPU model's SegformerHead (the baseline's); its scale attention a SegformerHead of 64
# channels.
_base_ = ['../daformer/dacs_segformer-mitb0_1k_synthetic-src2tgt.py',
          '../_base_/datasets/synthetic_domains_hr.py']
crop_size = (256, 512)
# training batches are padded to the crop size (the Runner gives the top-level one to the model)
data_preprocessor = dict(size=crop_size)
model = dict(
    model=dict(
        type='mmuda.HRDAEncoderDecoder',
        data_preprocessor=dict(size=crop_size),
        decode_head=dict(
            _delete_=True,
            type='mmuda.HRDAHead',
            single_scale_head=_base_.model.model.decode_head,
            attention_embed_dim=64,
            attention_classwise=True,
            hr_loss_weight=0.1),
        scales=(0.5, 1.0),
        hr_crop_size=(128, 256),
        crop_coord_divisible=8,
        hr_slide_inference=True,
        feature_scale=0.5,
        test_cfg=dict(mode='whole')))
hr_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.RandomResize', scale=(512, 256), ratio_range=(0.75, 1.5),
         keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
hr_unlabelled_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.RandomResize', scale=(512, 256), ratio_range=(0.75, 1.5),
         keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=crop_size),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(
        source=dict(_base_.hr_domain, pipeline=hr_train_pipeline),
        target=dict(_base_.hr_domain, pipeline=hr_unlabelled_pipeline),
        # the full-resolution crop must hold 0.5 x min_pixels (of the 256 x 512 labels) of the
        # sampled class: 4x the ratio of DACS at half resolution (0.125), whose crops count
        # 1/4 of the pixels, as the reference raises DAFormer's 0.5 to 2.0 for HRDA
        rare_class_sampling=dict(min_pixels=_base_.hr_rcs_min_pixels, min_crop_ratio=0.5)))
source_val = dict(_base_.hr_domain)
target_val = dict(_base_.hr_domain)
val_dataloader = dict(dataset=dict(_base_.hr_domain))
test_dataloader = val_dataloader
