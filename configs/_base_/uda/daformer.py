# DAFormer's self-training (DACS with an EMA teacher, confidence-weighted pseudo-labels,
# ClassMix, strong augmentation, ImageNet feature distance on thing classes) as the reference
# sets it; a config wraps its segmentor with it:
#   model = dict(_delete_=True, type='DACS', model=_base_.model,
#                train_cfg=dict(_base_.daformer_train_cfg, pseudo_weight_ignore=...))
# The crop margins of the pseudo-label weight depend on the target (Cityscapes' ego-car hood and
# rectification border; none for ACDC / Dark Zurich): each config sets them.
daformer_train_cfg = dict(
    pseudo_threshold=0.968,
    color_jitter_strength=0.2,
    color_jitter_prob=0.8,
    blur=True,
    # things: pole, traffic light, traffic sign, person, rider, car, truck, bus, train,
    # motorcycle, bicycle (Cityscapes train ids)
    imnet_feature_dist=dict(lambda_=0.005, classes=[6, 7, 11, 12, 13, 14, 15, 16, 17, 18],
                            scale_min_ratio=0.75))
# mmseg's MiT names the norm closing each stage `layers.<i>.2`: no weight decay there either,
# as the reference's norm1..norm4 (with the schedule's head / pos_block / norm keys):
#   optim_wrapper = dict(constructor='UDAOptimWrapperConstructor',
#                        paramwise_cfg=dict(custom_keys=_base_.mit_stage_norms))
mit_stage_norms = {
    'backbone.layers.0.2.': dict(decay_mult=0.0),
    'backbone.layers.1.2.': dict(decay_mult=0.0),
    'backbone.layers.2.2.': dict(decay_mult=0.0),
    'backbone.layers.3.2.': dict(decay_mult=0.0)}
custom_hooks = [dict(type='EMATeacherHook', alpha=0.999)]
randomness = dict(seed=0)
# HRDA (multi-resolution training) around a DAFormer segmentor:
#   student = dict(_base_.model, **_base_.hrda_segmentor,
#                  decode_head=dict(_base_.hrda_head, single_scale_head=_base_.model.decode_head))
# context = the 1024 crop at half resolution, detail = a random 512 crop at full resolution
# (corner divisible by 8: output stride 4 x context factor 2), class-wise scale attention
# (256 channels, 1x1 fusion), loss 0.9 x fused + 0.1 x detail; pseudo-labels with sliding
# 512 detail windows (stride 256); test in 1024 windows (stride 512); the ImageNet feature
# distance on the context features, as the original DAFormer.
hrda_head = dict(type='mmuda.HRDAHead', attention_embed_dim=256, attention_classwise=True,
                 hr_loss_weight=0.1)
hrda_segmentor = dict(
    type='mmuda.HRDAEncoderDecoder',
    scales=(0.5, 1.0),
    hr_crop_size=(512, 512),
    crop_coord_divisible=8,
    hr_slide_inference=True,
    feature_scale=0.5,
    test_cfg=dict(mode='slide', crop_size=(1024, 1024), stride=(512, 512)))
