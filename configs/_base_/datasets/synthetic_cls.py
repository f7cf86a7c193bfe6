# The embedded classification domains: 64 x 64 crops of the synthetic street scenes, centred on
# a car, person, sign, or a patch of building, vegetation or road (6 classes), rendered in the
# source and target styles of synthetic_domains.py (generated on first use under
# data/synthetic_cls; mmuda/datasets/synthetic/classification.py). Metric: accuracy and mean
# class accuracy (the headline, as VisDA-2017).
_base_ = ['./synthetic_domains.py']
cls_data_root = 'data/synthetic_cls'
crop_size = 64

cls_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', size=crop_size, scale=(0.5, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]
cls_test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackClsInputs')]
# `tools/test.py --tta` (ClsTTAModel, default_runtime_cls.py): the crop and its mirror image
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale=(crop_size, crop_size), keep_ratio=False)],
        [dict(type='RandomFlip', prob=0.0, direction='horizontal'),
     dict(type='RandomFlip', prob=1.0, direction='horizontal')],
        [dict(type='PackClsInputs')]]),
]


def _cls_domain(domain, style, split, pipeline):
    # _delete_: these names are also the segmentation datasets of the base, whose keys must
    # not be merged in
    return dict(_delete_=True, type='SyntheticClsDataset', data_root=cls_data_root,
                domain=domain, style=style, split=split, crop_size=crop_size,
                pipeline=pipeline)


def _dataset(cfg):
    return {k: v for k, v in cfg.items() if k != '_delete_'}


source_train = _cls_domain('source', _base_.source_style, 'train', cls_train_pipeline)
source_val = _cls_domain('source', _base_.source_style, 'val', cls_test_pipeline)
target_train = _cls_domain('target', _base_.target_style, 'train', cls_train_pipeline)
target_val = _cls_domain('target', _base_.target_style, 'val', cls_test_pipeline)
target_fog_val = _cls_domain('target_fog', _base_.target_fog_style, 'val', cls_test_pipeline)
target_night_val = _cls_domain('target_night', _base_.target_night_style, 'val',
                               cls_test_pipeline)
# source + target, 32 images each (the reference's VisDA-2017 batch)
uda_train = dict(type='UDADataset', source=_dataset(source_train), target=_dataset(target_train))

train_dataloader = dict(
    _delete_=True,
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=_dataset(source_train))
val_dataloader = dict(
    _delete_=True,
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_dataset(target_val))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='ClsAccuracyMetric')
test_evaluator = val_evaluator
