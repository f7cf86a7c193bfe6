# Classification UDA models on a classifier (``classifier`` of a models base): CDAN, CDAN + MCC,
# SDAT (CDAN + MCC + SAM) and MIC on SDAT, with the reference's settings (ViT-B/16: MCC
# temperature 2.0, trade-off 1.0; discriminator hidden 1024, no entropy conditioning, plain
# multilinear map, warm-start gradient reversal over 1000 iterations). A config picks one:
#   model = dict(_base_.sdat_model, model=_base_.classifier)
# with the matching optimizer wrapper of the schedule (sgd_inv_cls.py):
# adversarial_optim_wrapper for CDAN / CDAN + MCC, sam_adversarial_optim_wrapper for SDAT / MIC.
discriminator = dict(type='ConditionalDomainDiscriminator', hidden_dim=1024, randomized=False,
                     entropy_conditioning=False,
                     grl=dict(alpha=1.0, lo=0.0, hi=1.0, max_iters=1000))
sdat_model = dict(type='SDAT', discriminator=discriminator,
                  train_cfg=dict(sam=True, mcc_weight=1.0, mcc_temperature=2.0,
                                 trade_off=1.0))
cdan_mcc_model = dict(sdat_model, train_cfg=dict(sdat_model['train_cfg'], sam=False))
cdan_model = dict(sdat_model, train_cfg=dict(sdat_model['train_cfg'], sam=False,
                                             mcc_weight=0.0))
# MIC on SDAT: EMA teacher (alpha 0.9), pseudo-labels weighted by their max probability,
# masked target (block 64, ratio 0.7 at 224 x 224; colour jitter 0.2 and blur)
mic_sdat_model = dict(sdat_model, type='MICCls',
                      train_cfg=dict(sdat_model['train_cfg'], pseudo_label_weight='prob',
                                     weight_second_pass=False, color_jitter_strength=0.2,
                                     color_jitter_prob=0.8, blur=True, blur_prob=0.5,
                                     augment_per_run=True))
mic_hooks = [dict(type='EMATeacherHook', alpha=0.9, ramp=True, update_buffers=False),
             dict(type='MaskingHook', mask_ratio=0.7, block_size=64)]
