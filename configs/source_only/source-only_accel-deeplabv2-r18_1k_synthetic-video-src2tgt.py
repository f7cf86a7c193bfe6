# Source-only baseline of the video methods (DA-VSN, TPS) on the embedded synthetic clips: the
# CPU-sized ACCEL segmentor (DeepLab-v2 ResNet-18 half width, frame pair + flow fusion)
# trained on the labelled source clips, 2 pairs per iteration, AdamW synthetic schedule,
# evaluated on frame t of the target val clips.
_base_ = [
    '../_base_/models/accel_deeplabv2_r18_synthetic.py',
    '../_base_/datasets/synthetic_video.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_synthetic.py',
]
optim_wrapper = dict(paramwise_cfg=dict(_delete_=True,
                                        custom_keys=dict(norm=dict(decay_mult=0.0))))
randomness = dict(seed=0)
