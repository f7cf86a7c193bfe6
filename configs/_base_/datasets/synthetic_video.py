# The embedded synthetic VIDEO domains: clips of the street scenes of synthetic_domains.py in
# its source and target styles (the same classes and shift), with a label for every frame and
# the exact backward optical flow (mmuda/datasets/synthetic/video.py), generated on first use
# under data/synthetic in the Cityscapes-Seq layout. A sample is frame t with frame t-1 and
# the flow of t (TPS's target: also t-I and t-I-1, tps_offset=1); every frame with enough
# frames before it in its clip is a sample. No augmentation in the pipeline, as DA-VSN's
# reference (frames resized only; here already at the training size); TPS augments in the
# model.
_base_ = ['./synthetic_domains.py']
video_dataset_type = 'SyntheticVideoDataset'
num_clips = dict(train=80, val=20)
frames_per_clip = 5

video_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSegAnnotations'),
    dict(type='LoadVideoFrames'),
    dict(type='PackVideoSegInputs'),
]
# the target stream of UDA training loads no labels
video_unlabelled_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadVideoFrames'),
    dict(type='PackVideoSegInputs'),
]
video_test_pipeline = video_train_pipeline
# `tools/test.py --tta`: the flip x multi-scale views of synthetic_domains.py on frame t, frame
# t-1 and the flow alike
tta_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadVideoFrames'),
    dict(type='TestTimeAug',
         transforms=[
             [dict(type='VideoResize', scale_factor=r, keep_ratio=True)
              for r in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)],
             [dict(type='VideoRandomFlip', prob=0.0, direction='horizontal'),
              dict(type='VideoRandomFlip', prob=1.0, direction='horizontal')],
             [dict(type='LoadSegAnnotations')],
             [dict(type='PackVideoSegInputs')]]),
]


_clips = dict(type=video_dataset_type, data_root=_base_.data_root,
              num_clips=num_clips, frames_per_clip=frames_per_clip,
              img_size=_base_.img_size, tps_offset=0)
_source = dict(_clips, domain='source', style=_base_.source_style)
_target = dict(_clips, domain='target', style=_base_.target_style)

video_source_train = dict(_source, split='train', pipeline=video_train_pipeline)
video_source_val = dict(_source, split='val', pipeline=video_test_pipeline)
video_target_train = dict(_target, split='train', pipeline=video_train_pipeline)
video_target_train_unlabelled = dict(_target, split='train',
                                     pipeline=video_unlabelled_train_pipeline)
# TPS's target samples: frames t, t-1, t-I, t-I-1 (I = 1) and the flows of t and t-I
video_target_train_tps = dict(video_target_train_unlabelled, tps_offset=1)
video_target_val = dict(_target, split='val', pipeline=video_test_pipeline)
# the splits tools/misc/demo.py evaluates
target_val = dict(video_target_val, _delete_=True)
source_val = dict(video_source_val, _delete_=True)

train_dataloader = dict(
    batch_size=2,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(video_source_train, _delete_=True))
val_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(video_target_val, _delete_=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
