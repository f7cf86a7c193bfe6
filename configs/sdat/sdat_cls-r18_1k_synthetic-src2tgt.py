# SDAT (CDAN + MCC with sharpness-aware minimisation, rho 0.02) on the embedded
# classification domains.
_base_ = ['./cdan_cls-r18_1k_synthetic-src2tgt.py']
model = dict(train_cfg=dict(sam=True, mcc_weight=1.0))
optim_wrapper = dict(_delete_=True, **_base_.sam_adversarial_optim_wrapper)
