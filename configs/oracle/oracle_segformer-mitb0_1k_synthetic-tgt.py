# Target oracle on the embedded synthetic domains: the same model and schedule as the
# source-only baseline, trained on the (labelled) target train split; the upper bound that
# adaptation methods are compared against.
_base_ = ['../source_only/source-only_segformer-mitb0_1k_synthetic-src2tgt.py']
train_dataloader = dict(dataset=_base_.target_train)
