# MIC on DAFormer, SYNTHIA -> Cityscapes (16- and 13-class mIoU; paper, MIC(DAFormer) table:
# not reported for SYNTHIA, see configs/mic/README.md).
_base_ = ['./mic-daformer_mitb5_1x2-40k_gta2cityscapes-512x512.py',
          '../_base_/datasets/synthia_source_512x512.py']
train_dataloader = dict(dataset=dict(source=_base_.synthia_source_train))
val_evaluator = _base_.synthia_evaluator
test_evaluator = val_evaluator
