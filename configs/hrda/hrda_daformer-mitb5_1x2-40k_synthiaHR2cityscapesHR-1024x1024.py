# HRDA on SYNTHIA -> Cityscapes (16- and 13-class mIoU): the GTA5 HRDA config with SYNTHIA
# (RAND-CITYSCAPES) at its full 2560 x 1520 as the source. Paper: 65.8 mIoU16 (3 seeds).
_base_ = ['./hrda_daformer-mitb5_1x2-40k_gtaHR2cityscapesHR-1024x1024.py',
          '../_base_/datasets/synthiaHR_source_1024x1024.py']
train_dataloader = dict(dataset=dict(source=_base_.hr_synthia_train))
val_evaluator = _base_.synthia_evaluator
test_evaluator = val_evaluator
