# Oracle of the video methods: the ACCEL segmentor of the source-only baseline trained on the
# labelled TARGET clips (the upper bound of adaptation).
_base_ = ['../source_only/source-only_accel-deeplabv2-r18_1k_synthetic-video-src2tgt.py']
train_dataloader = dict(dataset=dict(_base_.video_target_train, _delete_=True))
