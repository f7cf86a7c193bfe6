# SDAT: CDAN + MCC with SAM (rho 0.02) on VisDA-2017 with ResNet-101; the MCC temperature of
# the reference's ResNet-101 runs, 3.0 (2.0 for ViT-B/16).
_base_ = ['./cdan_r101_30k_visda2017.py']
model = dict(train_cfg=dict(sam=True, mcc_weight=1.0, mcc_temperature=3.0))
optim_wrapper = dict(_delete_=True, **_base_.sam_adversarial_optim_wrapper)
