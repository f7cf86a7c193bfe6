# SDAT: CDAN + MCC (temperature 2.0) with SAM (rho 0.02) on VisDA-2017 (Synthetic -> Real),
# ViT-B/16, the reference's settings (configs/_base_/uda/sdat.py).
_base_ = ['./cdan_vit-b16_15k_visda2017.py']
model = dict(train_cfg=dict(sam=True, mcc_weight=1.0))
optim_wrapper = dict(_delete_=True, **_base_.sam_adversarial_optim_wrapper)
