# VIPER (labelled source video) -> Cityscapes-Seq (unlabelled target video), the data settings
# of DA-VSN and TPS: annotated frame t with frame t-1 and the optical flow of t (TPS's target
# also t-1, t-2 and the flow of t-1, tps_offset=1); VIPER resized to 1280 x 720, Cityscapes-Seq
# to 1024 x 512 (frames and flows alike: VideoResize), no crop, no flip, batch 1 + 1, the 15
# classes of info_Viper.json. Evaluation: Cityscapes-Seq val (the annotated 20th frame of each
# snippet) at 1024 x 512, the prediction up-sampled to the 2048 x 1024 label. Prepare the data
# and the flows with tools/dataset_converters/{viper,cityscapes_seq}.py and
# tools/misc/compute_flow.py (docs/dataset_prepare.md, "Video datasets").
viper_root = 'data/viper'
cityscapes_root = 'data/cityscapes'
class_set = 'viper'
source_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSegAnnotations'),
    dict(type='LoadVideoFrames'),
    dict(type='VideoResize', scale=(1280, 720), keep_ratio=False),
    dict(type='PackVideoSegInputs'),
]
# the target stream loads no labels
target_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadVideoFrames'),
    dict(type='VideoResize', scale=(1024, 512), keep_ratio=False),
    dict(type='PackVideoSegInputs'),
]
# labels loaded after the resize: full resolution, the prediction is up-sampled to them
test_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadVideoFrames'),
    dict(type='VideoResize', scale=(1024, 512), keep_ratio=False),
    dict(type='LoadSegAnnotations'),
    dict(type='PackVideoSegInputs'),
]
# `tools/test.py --tta`: flip x multi-scale around 1024 x 512 (mmseg's ratios) applied to frame
# t, frame t-1 and the flow alike, the views' softmax averaged (UDASegTTAModel). An extra, not
# the papers' protocol (one scale).
tta_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadVideoFrames'),
    dict(type='TestTimeAug',
         transforms=[
             [dict(type='VideoResize', scale=(int(1024 * r), int(512 * r)), keep_ratio=True)
              for r in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)],
             [dict(type='VideoRandomFlip', prob=0.0, direction='horizontal'),
              dict(type='VideoRandomFlip', prob=1.0, direction='horizontal')],
             [dict(type='LoadSegAnnotations')],
             [dict(type='PackVideoSegInputs')]]),
]
source_train = dict(type='ViperDataset', data_root=viper_root, pipeline=source_train_pipeline)
target_train = dict(type='CityscapesSeqDataset', data_root=cityscapes_root, class_set=class_set,
                    split='train', pipeline=target_train_pipeline)
# TPS: frames t-I, t-I-1 and the flow of t-I too (I = 1)
target_train_tps = dict(target_train, tps_offset=1)
target_val = dict(type='CityscapesSeqDataset', data_root=cityscapes_root, class_set=class_set,
                  split='val', pipeline=test_pipeline)
train_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='UDADataset', source=source_train, target=target_train))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=target_val)
test_dataloader = val_dataloader
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
