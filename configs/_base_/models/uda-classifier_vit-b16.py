# The image classifier of SDAT / MIC classification: ViT-B/16 (ImageNet) -> class token ->
# bottleneck 256 (Linear, BN, ReLU) -> linear head. The reference uses timm 0.5.4's
# vit_base_patch16_224 (ImageNet-21k pre-trained, fine-tuned on ImageNet-1k); here it is
# mmseg's VisionTransformer with the same structure (LayerNorm eps 1e-6, final norm, class
# token) loading those weights converted by mmseg's tools/model_converters/vit2mmseg.py
# (docs/get_started.md). The inputs are normalised with ImageNet statistics, as the reference
# does (not the 0.5 / 0.5 the weights were trained with).
num_classes = 12
classifier = dict(
    type='UDAImageClassifier',
    num_classes=num_classes,
    in_channels=768,
    pool='cls_token',
    bottleneck_dim=256,
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        type='mmseg.VisionTransformer',
        img_size=(224, 224),
        patch_size=16,
        embed_dims=768,
        num_layers=12,
        num_heads=12,
        mlp_ratio=4,
        qkv_bias=True,
        out_indices=-1,
        with_cls_token=True,
        output_cls_token=True,
        final_norm=True,
        drop_rate=0.0,
        attn_drop_rate=0.0,
        drop_path_rate=0.0,
        norm_cfg=dict(type='LN', eps=1e-6),
        act_cfg=dict(type='GELU'),
        interpolate_mode='bicubic',
        init_cfg=dict(type='Pretrained',
                      checkpoint='pretrain/vit-b16_augreg-in21k-ft-in1k_mmseg.pth')))
model = classifier
