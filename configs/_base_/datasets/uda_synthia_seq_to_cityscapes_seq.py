# SYNTHIA-Seq (SEQS-04-DAWN, labelled source video) -> Cityscapes-Seq, the data settings of
# DA-VSN and TPS: SYNTHIA-Seq frames with their bottom 120 rows cut (1280 x 760 -> 1280 x 640,
# CutBottomRows, as the reference when loading), Cityscapes-Seq at 1024 x 512, batch 1 + 1,
# the 12 classes of info_SynthiaSeq.json; trained on 12, reported as the mean over 11
# (mIoU11: fence left out, as the reference's evaluation) next to the 12-class mIoU.
_base_ = ['./uda_viper_to_cityscapes_seq.py']
synthia_seq_root = 'data/SYNTHIA-SEQS-04-DAWN'
class_set = 'synthia_seq'
source_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSegAnnotations'),
    dict(type='LoadVideoFrames'),
    dict(type='CutBottomRows'),
    dict(type='PackVideoSegInputs'),
]
source_train = dict(_delete_=True, type='SynthiaSeqDataset', data_root=synthia_seq_root,
                    pipeline=source_train_pipeline)
target_train = dict(class_set=class_set)
target_train_tps = dict(class_set=class_set)
target_val = dict(class_set=class_set)
train_dataloader = dict(dataset=dict(source=source_train, target=target_train))
val_dataloader = dict(dataset=target_val)
test_dataloader = val_dataloader
# the 11 evaluated classes (mmuda.datasets.video.SYNTHIA_SEQ_EVAL_CLASSES)
val_evaluator = dict(_delete_=True, type='SubsetIoUMetric', iou_metrics=['mIoU'],
                     subsets=dict(mIoU11=['road', 'sidewalk', 'building', 'pole',
                                          'traffic light', 'traffic sign', 'vegetation', 'sky',
                                          'person', 'rider', 'car']))
test_evaluator = val_evaluator
