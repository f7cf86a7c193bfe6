# GTA5 (labelled source) -> Cityscapes (unlabelled target), the data settings of AdaptSegNet
# and ADVENT: whole images, GTA resized to 1280 x 720 and Cityscapes to 1024 x 512, no crop,
# no flip, no Rare Class Sampling, batch 1 + 1. Evaluation (Cityscapes val at 1024 x 512, the
# prediction up-sampled to the 2048 x 1024 label as the reference does) and the --tta pipeline
# are those of uda_gta_to_cityscapes_512x512.py. Prepare the data with
# tools/dataset_converters/{gta,cityscapes}.py (docs/dataset_prepare.md).
_base_ = ['./uda_gta_to_cityscapes_512x512.py']
source_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.Resize', scale=(1280, 720), keep_ratio=False),
    dict(type='mmseg.PackSegInputs'),
]
# the target stream loads no labels
target_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=(1024, 512), keep_ratio=False),
    dict(type='mmseg.PackSegInputs'),
]
source_train = dict(_delete_=True, type='GTA5Dataset', data_root=_base_.gta_root,
                    data_prefix=dict(img_path='images', seg_map_path='labels'),
                    pipeline=source_train_pipeline)
target_train = dict(_delete_=True, type='CityscapesDataset', data_root=_base_.cityscapes_root,
                    data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
                    pipeline=target_train_pipeline)
train_dataloader = dict(
    batch_size=1,
    dataset=dict(_delete_=True, type='UDADataset', source=source_train, target=target_train))
