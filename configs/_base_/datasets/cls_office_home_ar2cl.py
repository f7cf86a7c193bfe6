# Office-Home: 65 classes, 4 domains (Art, Clipart, Product, Real_World); a task trains on one
# labelled domain and all unlabelled images of another and is evaluated on the latter (the
# reference's protocol). Metric: accuracy (the papers' Office-Home number) and mean class
# accuracy. The reference's default resizing: a square 256 x 256 resize, a random resized 224
# crop, a random flip; evaluation: the resize and a 224 centre crop (cls_224.py). This base is
# the task Art -> Clipart; the other 11 tasks' configs replace the three list files
# (configs/sdat/office-home/). Prepare the lists with
# tools/dataset_converters/image_list.py office_home data/office_home.
_base_ = ['./cls_224.py']
office_home_root = 'data/office_home'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 256), keep_ratio=False),
    dict(type='RandomResizedCrop', size=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]
source_train = dict(type='OfficeHomeDataset', data_root=office_home_root,
                    ann_file='image_list/Art.txt', pipeline=train_pipeline)
target_train = dict(source_train, ann_file='image_list/Clipart.txt')
source_val = dict(source_train, pipeline=_base_.test_pipeline)
target_val = dict(target_train, pipeline=_base_.test_pipeline)
# 24 source + 24 target images a step (the reference's batch)
train_dataloader = dict(
    batch_size=24, dataset=dict(type='UDADataset', source=source_train, target=target_train))
val_dataloader = dict(dataset=target_val)
test_dataloader = val_dataloader
