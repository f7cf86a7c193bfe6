# DA-VSN on the embedded synthetic clips: the CPU-sized ACCEL segmentor of the source-only
# baseline with intra-domain TCR and the spatio-temporal / spatial discriminators (weights
# of the reference), 2 source + 2 target pairs per iteration, 1000 iterations. The segmentor
# takes the synthetic schedule (AdamW, from scratch) with the reference's gradient clip
# (norm 1); the discriminators ADVENT's Adam. The discriminators are at half width (ndf 32
# instead of 64), as the segmentor: four of them at full width on 2C-channel 128 x 256 maps
# cost 3x the rest of the step on a CPU (configs/davsn/README.md).
_base_ = [
    '../_base_/models/accel_deeplabv2_r18_synthetic.py',
    '../_base_/datasets/synthetic_video.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_synthetic_adversarial.py',
    '../_base_/uda/adversarial.py',
]
model = dict(_delete_=True, model=_base_.model,
             **dict(_base_.davsn, discriminator=dict(type='FCDiscriminator', ndf=32)))
optim_wrapper = dict(segmentor=dict(clip_grad=dict(max_norm=1.0)))
train_dataloader = dict(
    dataset=dict(_delete_=True, type='UDADataset', source=_base_.video_source_train,
                 target=_base_.video_target_train_unlabelled))
randomness = dict(seed=0)
