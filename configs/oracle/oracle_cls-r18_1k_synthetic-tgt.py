# Oracle of the embedded classification domains: the source-only recipe trained on labelled
# target crops (the upper bound of adaptation).
_base_ = ['../source_only/source-only_cls-r18_1k_synthetic-src2tgt.py']
train_dataloader = dict(dataset=dict(_delete_=True, **_base_.target_train))
