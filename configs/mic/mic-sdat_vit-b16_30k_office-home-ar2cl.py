# MIC on SDAT on Office-Home Art -> Clipart, ViT-B/16: EMA teacher (alpha 0.9), masked target
# (block 64, ratio 0.7; colour jitter 0.2, blur), pseudo-labels weighted by their max
# probability. The other tasks: configs/mic/office-home/.
_base_ = ['../sdat/sdat_vit-b16_30k_office-home-ar2cl.py']
model = dict(_delete_=True, **_base_.mic_sdat_model,
             model=dict(_base_.classifier, num_classes=_base_.num_classes))
custom_hooks = _base_.mic_hooks
