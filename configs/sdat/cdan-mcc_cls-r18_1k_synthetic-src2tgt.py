# CDAN + MCC on the embedded classification domains (one pass, plain SGD).
_base_ = ['./cdan_cls-r18_1k_synthetic-src2tgt.py']
model = dict(train_cfg=dict(mcc_weight=1.0))
