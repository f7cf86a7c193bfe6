# MIC on SDAT on VisDA-2017 (Synthetic -> Real), ViT-B/16: EMA teacher (alpha 0.9), masked
# target (block 64, ratio 0.7; colour jitter 0.2, blur), pseudo-labels weighted by their max
# probability, the reference's cdan_mcc_sdat_masking.py settings.
_base_ = ['../sdat/sdat_vit-b16_15k_visda2017.py']
model = dict(_delete_=True, **_base_.mic_sdat_model, model=_base_.classifier)
custom_hooks = _base_.mic_hooks
