# SYNTHIA RAND-CITYSCAPES (labelled source) -> Cityscapes (unlabelled target), DAFormer's data
# settings: SYNTHIA at 1280 x 760 (synthia_source_512x512.py), everything else as GTA5 ->
# Cityscapes (Cityscapes at 1024 x 512, 512 x 512 random crops, Rare Class Sampling;
# evaluation on Cityscapes val, whole image at 1024 x 512) with the 16- and 13-class mIoU.
# Prepare the data with tools/dataset_converters/{synthia,cityscapes}.py
# (docs/dataset_prepare.md).
_base_ = ['./uda_gta_to_cityscapes_512x512.py', './synthia_source_512x512.py']
source_train = _base_.synthia_source_train
train_dataloader = dict(dataset=dict(source=source_train))
val_evaluator = _base_.synthia_evaluator
test_evaluator = val_evaluator
