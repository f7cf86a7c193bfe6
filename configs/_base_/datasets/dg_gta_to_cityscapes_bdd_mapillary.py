# Evaluation targets of domain generalisation GTA5 -> {Cityscapes, BDD100K, Mapillary}
# (RobustNet, DAFormer / HRDA's DG results, T2S-DA): the validation sets of the three real
# datasets on the 19 Cityscapes classes, scored with mIoU. Prepare the data with
# tools/dataset_converters/{cityscapes,bdd100k,mapillary}.py (docs/dataset_prepare.md).
#
# Defines dataset dicts only (no data loaders or evaluators) under names of its own, so a method
# config can list it beside uda_gta_to_cityscapes_512x512.py (whose test_dataloader evaluates on
# Cityscapes val):
#
#   _base_ = ['../_base_/datasets/uda_gta_to_cityscapes_512x512.py',
#             '../_base_/datasets/dg_gta_to_cityscapes_bdd_mapillary.py', ...]
#   test_dataloader = dict(dataset=dict(_base_.bdd_val, _delete_=True))  # or mapillary_val
#
# or evaluate a trained model of any GTA5 -> Cityscapes config on one target from the command
# line (one run per target; mmengine runs one test set at a time; evaluator: mmseg IoUMetric):
#
#   python tools/test.py CONFIG CKPT --cfg-options test_dataloader.dataset.type=BDD100KDataset \
#       test_dataloader.dataset.data_root=data/bdd100k \
#       test_dataloader.dataset.data_prefix.img_path=images/10k/val \
#       test_dataloader.dataset.data_prefix.seg_map_path=labels/sem_seg/masks/val
#   python tools/test.py CONFIG CKPT --cfg-options test_dataloader.dataset.type=MapillaryDataset \
#       test_dataloader.dataset.data_root=data/mapillary \
#       test_dataloader.dataset.data_prefix.img_path=validation/images \
#       test_dataloader.dataset.data_prefix.seg_map_path=validation/labels
#
# (the datasets' own defaults give the .jpg / label suffixes; the config's test pipeline is kept).
#
# Image size: as DAFormer / HRDA (lhoyer/HRDA, branch dg, tools/test.py) every target goes
# through the test pipeline of Cityscapes: the whole image resized, keeping its aspect ratio, to
# fit 1024 x 512. That is a shorter side of 512 px for any image up to 2:1, the scale at which the
# model sees Cityscapes (2048 x 1024 -> 1024 x 512): BDD100K 1280 x 720 -> 910 x 512, Mapillary
# 4:3 images (e.g. 4032 x 3024) -> 683 x 512, 16:9 ones -> 910 x 512. No crop, no sliding window;
# labels are loaded after the resize, so predictions are scored at the labels' full resolution
# (mmseg resizes the logits back). A method evaluating Cityscapes at another scale (HRDA: 2048 x
# 1024) sets the same scale here. RobustNet differs (Mapillary resized to 1536 px height and
# centre-cropped); its numbers are not comparable.
dg_test_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=(1024, 512), keep_ratio=True),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]
bdd_root = 'data/bdd100k'
mapillary_root = 'data/mapillary'
dg_cityscapes_root = 'data/cityscapes'
# Cityscapes val (500 images), as target_val of uda_gta_to_cityscapes_512x512.py
cityscapes_val = dict(type='CityscapesDataset', data_root=dg_cityscapes_root,
                      data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
                      pipeline=dg_test_pipeline)
# BDD100K val (1000 images, 1280 x 720, labels already train ids); current release layout
bdd_val = dict(type='BDD100KDataset', data_root=bdd_root,
               data_prefix=dict(img_path='images/10k/val',
                                seg_map_path='labels/sem_seg/masks/val'),
               img_suffix='.jpg', seg_map_suffix='.png',
               pipeline=dg_test_pipeline)
# the same images in the former bdd100k_seg.zip layout (RobustNet)
bdd_val_seg_release = dict(type='BDD100KDataset', data_root=bdd_root,
                           data_prefix=dict(img_path='seg/images/val',
                                            seg_map_path='seg/labels/val'),
                           img_suffix='.jpg', seg_map_suffix='_train_id.png',
                           pipeline=dg_test_pipeline)
# Mapillary Vistas v1.2 validation (2000 images of varying size), labels converted to train ids
# (*_labelTrainIds.png beside the released labels; from the v2.0 zip: validation/v1.2/labels)
mapillary_val = dict(type='MapillaryDataset', data_root=mapillary_root,
                     data_prefix=dict(img_path='validation/images',
                                      seg_map_path='validation/labels'),
                     img_suffix='.jpg', seg_map_suffix='_labelTrainIds.png',
                     pipeline=dg_test_pipeline)
