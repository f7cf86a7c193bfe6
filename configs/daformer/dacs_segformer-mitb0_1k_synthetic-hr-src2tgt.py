# DACS on the 256 x 512 embedded domains at full resolution: the whole image as the crop, the
# field of view of HRDA's crops (configs/hrda/hrda_segformer-mitb0_1k_synthetic-hr-src2tgt.py,
# whose data and schedule it takes) with all of it at full resolution (2x the pixels HRDA's
# context + detail see per step), the plain segmentor, tested on the whole image. The upper
# reference of the HRDA comparison (configs/hrda/README.md).
_base_ = ['../hrda/hrda_segformer-mitb0_1k_synthetic-hr-src2tgt.py']
hrda_student = _base_.model.model
model = dict(
    model=dict(
        _delete_=True,
        type='mmseg.EncoderDecoder',
        data_preprocessor=hrda_student.data_preprocessor,
        backbone=hrda_student.backbone,
        decode_head=hrda_student.decode_head.single_scale_head,
        train_cfg=dict(),
        test_cfg=dict(mode='whole')))
