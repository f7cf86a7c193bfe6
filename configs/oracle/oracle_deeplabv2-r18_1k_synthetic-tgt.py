# Target oracle of the DeepLab-v2 family on the embedded synthetic domains: the source-only
# model and schedule trained on the labelled target train split.
_base_ = ['../source_only/source-only_deeplabv2-r18_1k_synthetic-src2tgt.py']
train_dataloader = dict(dataset=_base_.target_train)
