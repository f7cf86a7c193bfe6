# The embedded synthetic street-scene domains (generated on first use under data/synthetic).
# Every key of a style is documented in mmuda/datasets/synthetic/scene.py (DEFAULT_STYLE);
# a new domain shift is an edit of these dicts. Labels: 8 train ids, 255 = ignore.
dataset_type = 'SyntheticSegDataset'
data_root = 'data/synthetic'
img_size = (128, 256)  # (h, w)
num_images = dict(train=400, val=100)

# "synthetic-looking" source: flat saturated colours, sharp, noiseless, larger objects
source_style = dict(
    palette=dict(
        road=(110, 110, 110), sidewalk=(170, 160, 150), building=(150, 110, 90),
        vegetation=(60, 140, 50), sky=(120, 170, 230), car=(40, 60, 160),
        person=(200, 60, 60), sign=(230, 200, 30)),
    color_jitter=8.0,
    num_cars=(1, 4), car_scale=1.0,
    num_persons=(0, 2), person_scale=1.0,
    num_signs=(0, 2), vegetation_prob=0.35)
# "real-looking" target: other palette, textured surfaces, desaturated, blurred and noisy,
# smaller cars, more pedestrians and trees
target_style = dict(
    palette=dict(
        road=(88, 90, 98), sidewalk=(150, 146, 140), building=(128, 120, 112),
        vegetation=(78, 104, 52), sky=(175, 192, 212), car=(90, 96, 120),
        person=(110, 70, 90), sign=(205, 175, 60)),
    color_jitter=16.0,
    texture_amp=dict(road=0.15, sidewalk=0.2, building=0.25, vegetation=0.4, sky=0.05,
                     car=0.1, person=0.1, sign=0.1),
    texture_size=6.0,
    saturation=0.75, gamma=1.1, blur=0.8, noise=6.0,
    horizon=(0.42, 0.55),
    num_cars=(1, 5), car_scale=0.8,
    num_persons=(1, 4), person_scale=0.9,
    num_signs=(0, 2), vegetation_prob=0.5)
# further target styles of the weather/night benchmarks: the target scenes, foggy / at night
target_fog_style = dict(target_style, fog=0.08, fog_color=(190, 192, 195))
target_night_style = dict(
    target_style, brightness=0.45, gamma=1.35, tint=(0.85, 0.9, 1.15), lights=3, noise=9.0)

train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.RandomResize', scale=(256, 128), ratio_range=(0.75, 1.5),
         keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=img_size, cat_max_ratio=0.75),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
# the target stream of UDA training loads no labels: they cannot leak into adaptation
unlabelled_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.RandomResize', scale=(256, 128), ratio_range=(0.75, 1.5),
         keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=img_size),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
test_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]
# `tools/test.py --tta`: flip x multi-scale (mmseg's ratios), the views' softmax averaged
# (UDASegTTAModel, default_runtime.py). An extra, not the paper protocol: DAFormer and MIC
# evaluate the whole image at one scale (test_pipeline).
tta_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='TestTimeAug',
         transforms=[
             [dict(type='mmseg.Resize', scale_factor=r, keep_ratio=True)
              for r in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)],
             [dict(type='mmseg.RandomFlip', prob=0.0, direction='horizontal'),
              dict(type='mmseg.RandomFlip', prob=1.0, direction='horizontal')],
             [dict(type='LoadSegAnnotations')],
             [dict(type='mmseg.PackSegInputs')]]),
]


def _domain(domain, style, split, pipeline):
    return dict(type=dataset_type, data_root=data_root, domain=domain, style=style,
                split=split, num_images=num_images, img_size=img_size, pipeline=pipeline)


source_train = _domain('source', source_style, 'train', train_pipeline)
source_val = _domain('source', source_style, 'val', test_pipeline)
target_train = _domain('target', target_style, 'train', train_pipeline)
target_train_unlabelled = _domain('target', target_style, 'train', unlabelled_train_pipeline)
target_val = _domain('target', target_style, 'val', test_pipeline)
target_fog_val = _domain('target_fog', target_fog_style, 'val', test_pipeline)
target_night_val = _domain('target_night', target_night_style, 'val', test_pipeline)

train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=source_train)
val_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=target_val)
test_dataloader = val_dataloader
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
