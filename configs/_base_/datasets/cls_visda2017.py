# VisDA-2017 classification: Synthetic (train, labelled) -> Real (validation, unlabelled in
# training; the test set of the benchmark), 12 classes, headline metric mean class accuracy.
# The reference's ``--train-resizing cen.crop``: a square 256 x 256 resize (aspect ratio not
# kept), a 224 centre crop, a random flip; evaluation: the same resize and centre crop
# (cls_224.py). Prepare the lists with
# tools/dataset_converters/image_list.py visda2017 data/visda2017 (docs/dataset_prepare.md).
_base_ = ['./cls_224.py']
visda_root = 'data/visda2017'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 256), keep_ratio=False),
    dict(type='CenterCrop', crop_size=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]


def _visda(split, pipeline):
    return dict(type='VisDA2017Dataset', data_root=visda_root,
                ann_file=f'image_list/{split}.txt', pipeline=pipeline)


source_train = _visda('train', train_pipeline)
target_train = _visda('validation', train_pipeline)
source_val = _visda('train', _base_.test_pipeline)
target_val = _visda('validation', _base_.test_pipeline)
# 32 source + 32 target images a step (the reference's batch)
train_dataloader = dict(
    batch_size=32, dataset=dict(type='UDADataset', source=source_train, target=target_train))
val_dataloader = dict(dataset=target_val)
test_dataloader = val_dataloader
