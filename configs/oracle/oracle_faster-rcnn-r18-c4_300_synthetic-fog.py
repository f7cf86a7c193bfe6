# Oracle of the synthetic detection benchmark: the same detector and schedule trained on the
# labelled foggy target scenes (the upper bound adaptation aims at).
_base_ = ['../source_only/source-only_faster-rcnn-r18-c4_300_synthetic-clear2fog.py']
train_dataloader = dict(dataset=dict(source={{_base_.det_target_train}}))
