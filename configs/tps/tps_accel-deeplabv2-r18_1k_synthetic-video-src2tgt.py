# TPS on the embedded synthetic clips: the CPU-sized ACCEL segmentor of the source-only
# baseline with cross-frame pseudo-labels (from frames t-1, t-2 warped to t) supervising the
# strongly augmented, rescaled pair (t, t-1); source frames histogram-matched to the target
# frame. lambda_T 1.0 (the reference's default and SYNTHIA-Seq value), 2 source + 2 target
# samples per iteration, 1000 iterations, the synthetic schedule.
_base_ = [
    '../_base_/models/accel_deeplabv2_r18_synthetic.py',
    '../_base_/datasets/synthetic_video.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_synthetic.py',
]
model = dict(_delete_=True, type='TPS', model=_base_.model,
             train_cfg=dict(lambda_t=1.0, scale_range=(0.8, 1.2), flip_prob=0.5,
                            hist_match=True))
optim_wrapper = dict(constructor='UDAOptimWrapperConstructor',
                     paramwise_cfg=dict(_delete_=True,
                                        custom_keys=dict(norm=dict(decay_mult=0.0))))
train_dataloader = dict(
    dataset=dict(_delete_=True, type='UDADataset', source=_base_.video_source_train,
                 target=_base_.video_target_train_tps))
randomness = dict(seed=0)
