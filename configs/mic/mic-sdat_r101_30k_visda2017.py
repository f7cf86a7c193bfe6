# MIC on SDAT on VisDA-2017 with ResNet-101 (the reference's cls/experiments.py, experiment 2):
# EMA teacher (alpha 0.9), masked target (block 64, ratio 0.7; colour jitter 0.2, blur),
# pseudo-labels weighted by their max probability; MCC temperature 3.0, 30 epochs, seed 2.
_base_ = ['../sdat/sdat_r101_30k_visda2017.py']
model = dict(_base_.mic_sdat_model, _delete_=True, model=_base_.classifier,
             train_cfg=dict(_base_.mic_sdat_model.train_cfg, mcc_temperature=3.0))
custom_hooks = _base_.mic_hooks
