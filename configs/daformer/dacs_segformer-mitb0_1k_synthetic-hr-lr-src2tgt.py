# DACS on the 256 x 512 embedded domains at half resolution: images and labels resized to
# 128 x 256 for training, as DAFormer trains on Cityscapes at 1024 x 512; the test image too,
# its prediction up-sampled to the 256 x 512 labels. The comparison point of HRDA
# (configs/hrda/hrda_segformer-mitb0_1k_synthetic-hr-src2tgt.py) at the same pixels per step.
_base_ = ['./dacs_segformer-mitb0_1k_synthetic-src2tgt.py',
          '../_base_/datasets/synthetic_domains_hr.py']
lr_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.RandomResize', scale=(256, 128), ratio_range=(0.75, 1.5),
         keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=(128, 256), cat_max_ratio=0.75),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
lr_unlabelled_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.RandomResize', scale=(256, 128), ratio_range=(0.75, 1.5),
         keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=(128, 256)),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
# the prediction at 128 x 256 is up-sampled to the labels' 256 x 512 (mmseg's post-processing)
lr_test_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=(256, 128), keep_ratio=True),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(
        source=dict(_base_.hr_domain, pipeline=lr_train_pipeline),
        target=dict(_base_.hr_domain, pipeline=lr_unlabelled_pipeline),
        # class_stats count 256 x 512 pixels, the crop 128 x 256 ones: 0.125 x 1500 px in the
        # crop is the 128 x 256 configs' 0.5 x 375
        rare_class_sampling=dict(min_pixels=_base_.hr_rcs_min_pixels, min_crop_ratio=0.125)))
source_val = dict(_base_.hr_domain, pipeline=lr_test_pipeline)
target_val = dict(_base_.hr_domain, pipeline=lr_test_pipeline)
val_dataloader = dict(dataset=dict(_base_.hr_domain, pipeline=lr_test_pipeline))
test_dataloader = val_dataloader
