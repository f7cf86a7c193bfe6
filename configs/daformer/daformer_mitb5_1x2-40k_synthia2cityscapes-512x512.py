# DAFormer on SYNTHIA -> Cityscapes (16- and 13-class mIoU): the GTA5 config with SYNTHIA
# (RAND-CITYSCAPES, 1280 x 760) as the source. Paper: 60.9 mIoU16, 67.4 mIoU13 (3 seeds).
_base_ = ['./daformer_mitb5_1x2-40k_gta2cityscapes-512x512.py',
          '../_base_/datasets/synthia_source_512x512.py']
train_dataloader = dict(dataset=dict(source=_base_.synthia_source_train))
val_evaluator = _base_.synthia_evaluator
test_evaluator = val_evaluator
