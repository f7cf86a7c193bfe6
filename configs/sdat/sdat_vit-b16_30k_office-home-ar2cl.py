# SDAT: CDAN + MCC (temperature 2.0) with SAM (rho 0.02) on Office-Home Art -> Clipart,
# ViT-B/16, the reference's settings (configs/_base_/uda/sdat.py), 30 "epochs" of 1000
# iterations, batch 24 + 24. The other tasks: the office-home/ folder next to this config.
_base_ = ['./cdan_vit-b16_30k_office-home-ar2cl.py']
model = dict(train_cfg=dict(sam=True, mcc_weight=1.0))
optim_wrapper = dict(_delete_=True, **_base_.sam_adversarial_optim_wrapper)
