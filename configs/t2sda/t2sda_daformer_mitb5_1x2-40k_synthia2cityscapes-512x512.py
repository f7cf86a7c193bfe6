# T2S-DA on DAFormer, SYNTHIA -> Cityscapes (16- and 13-class mIoU): the GTA5 config with
# SYNTHIA RAND-CITYSCAPES as the source (DAFormer's SYNTHIA data settings).
_base_ = ['./t2sda_daformer_mitb5_1x2-40k_gta2cityscapes-512x512.py',
          '../_base_/datasets/synthia_source_512x512.py']
train_dataloader = dict(dataset=dict(source=_base_.synthia_source_train))
val_evaluator = _base_.synthia_evaluator
test_evaluator = val_evaluator
