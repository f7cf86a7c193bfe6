# Copyright (c) mmuda contributors. All rights reserved.
"""The video datasets (Cityscapes-Seq, VIPER, SYNTHIA-Seq) and their converters on tiny fakes in
the real layouts: pairs and TPS neighbours, the label tables (hand-picked ids), the VIPER ego
vehicle, the SYNTHIA-Seq bottom cut, and the clear errors for missing or wrong files."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from PIL import Image

from mmuda.datasets import CityscapesSeqDataset, SynthiaSeqDataset, ViperDataset
from mmuda.datasets.flow_io import write_flow
from mmuda.datasets.transforms import CutBottomRows, LoadVideoFrames
from mmuda.datasets.video import neighbour_stem, split_frame_index
from mmuda.utils import register_all_modules

from ..helpers import ROOT

H, W = 16, 24  # frames of the Cityscapes-Seq and VIPER fakes
PIPELINE = [dict(type='mmseg.LoadImageFromFile'), dict(type='LoadSegAnnotations'),
            dict(type='LoadVideoFrames')]


@pytest.fixture(autouse=True)
def _registered():
    register_all_modules()


def _load_tool(name):
    import importlib.util
    path = osp.join(ROOT, 'tools/dataset_converters', name + '.py')
    spec = importlib.util.spec_from_file_location(f'{name}_converter', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def convert(name, root, *extra):
    """Run a converter's main() in this process; its exit message, or None on success."""
    try:
        _load_tool(name).main([root, '--nproc', '1', *extra])
    except SystemExit as e:
        return str(e.code)
    return None


def _frame(path, seed, h=H, w=W):
    os.makedirs(osp.dirname(path), exist_ok=True)
    rgb = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    assert cv2.imwrite(path, rgb)


def _flow(path, h=H, w=W, value=(0.5, -0.25)):
    write_flow(path, np.broadcast_to(np.float32(value), (h, w, 2)))


def _blocks(grid, h=H, w=W):
    grid = np.asarray(grid)
    return np.kron(grid, np.ones((h // grid.shape[0], w // grid.shape[1]), grid.dtype))


# ---------------------------------------------------------------------------------------------
# Cityscapes-Seq
# ---------------------------------------------------------------------------------------------

# label ids: road 7, rider 25, fence 13, pole 17 / car 26, bicycle 33, unlabeled 0, wall 12
CS_IDS = [[7, 25, 13, 17], [26, 33, 0, 12]]
# 15 classes (info_Viper.json): rider -> person (9), no pole, no wall
CS_VIPER15 = [[0, 9, 3, 255], [10, 14, 255, 255]]
# 12 classes (info_SynthiaSeq.json): rider 10, pole 4, no bicycle, no wall
CS_SYNTHIA12 = [[0, 10, 3, 4], [11, 255, 255, 255]]
CS_STEM = 'aachen/aachen_000000_0000{:02d}'


def make_cityscapes_seq(root, frames=range(16, 20), flows=(19, 18, 17)):
    for i in frames:
        _frame(osp.join(root, 'leftImg8bit_sequence/train', CS_STEM.format(i) +
                        '_leftImg8bit.png'), i)
    for i in flows:
        _flow(osp.join(root, 'leftImg8bit_sequence_flow/train', CS_STEM.format(i) +
                       '_flow.npy'), value=(i, -i))
    gt = osp.join(root, 'gtFine/train', CS_STEM.format(19) + '_gtFine_labelIds.png')
    os.makedirs(osp.dirname(gt), exist_ok=True)
    Image.fromarray(_blocks(np.uint8(CS_IDS)), mode='L').save(gt)
    return root


@pytest.fixture
def cityscapes_seq(tmp_path):
    root = make_cityscapes_seq(str(tmp_path / 'cityscapes'))
    assert convert('cityscapes_seq', root) is None
    return root


def test_cityscapes_seq_converter_writes_both_class_sets(cityscapes_seq):
    base = osp.join(cityscapes_seq, 'gtFine/train', CS_STEM.format(19))
    out15 = np.asarray(Image.open(base + '_gtFine_labelTrainIds15.png'))
    out12 = np.asarray(Image.open(base + '_gtFine_labelTrainIds12.png'))
    assert np.array_equal(out15, _blocks(np.uint8(CS_VIPER15)))
    assert np.array_equal(out12, _blocks(np.uint8(CS_SYNTHIA12)))


def test_cityscapes_seq_pairs_and_flows(cityscapes_seq):
    ds = CityscapesSeqDataset(data_root=cityscapes_seq, pipeline=PIPELINE)
    assert len(ds) == 1 and len(ds.metainfo['classes']) == 15
    info = ds.get_data_info(0)
    assert info['img_path'].endswith('aachen_000000_000019_leftImg8bit.png')
    assert info['img_prev_path'].endswith('aachen_000000_000018_leftImg8bit.png')
    assert info['flow_path'].endswith(
        osp.join('leftImg8bit_sequence_flow', 'train', 'aachen', 'aachen_000000_000019_flow.npy'))
    assert info['frame_index'] == 19 and 'img_ref_path' not in info
    sample = ds[0]
    assert sample['img'].shape == sample['img_prev'].shape == (H, W, 3)
    assert not np.array_equal(sample['img'], sample['img_prev'])
    assert sample['flow'].shape == (H, W, 2) and sample['flow'].dtype == np.float32
    assert np.all(sample['flow'] == [19, -19])
    assert np.array_equal(sample['gt_seg_map'], _blocks(np.uint8(CS_VIPER15)))
    assert sample['frame_fields'] == ['img_prev'] and sample['flow_fields'] == ['flow']

    ds12 = CityscapesSeqDataset(data_root=cityscapes_seq, class_set='synthia_seq',
                                pipeline=PIPELINE)
    assert ds12.metainfo['classes'][10] == 'rider' and len(ds12.metainfo['classes']) == 12
    assert np.array_equal(ds12[0]['gt_seg_map'], _blocks(np.uint8(CS_SYNTHIA12)))


def test_cityscapes_seq_tps_offsets(cityscapes_seq):
    ds = CityscapesSeqDataset(data_root=cityscapes_seq, pipeline=PIPELINE, tps_offset=2)
    info = ds.get_data_info(0)
    assert info['img_ref_path'].endswith('_000017_leftImg8bit.png')
    assert info['img_ref_prev_path'].endswith('_000016_leftImg8bit.png')
    assert info['flow_ref_path'].endswith('aachen_000000_000017_flow.npy')
    sample = ds[0]
    assert sample['frame_fields'] == ['img_prev', 'img_ref', 'img_ref_prev']
    assert np.all(sample['flow'] == [19, -19]) and np.all(sample['flow_ref'] == [17, -17])
    # I = 1: the reference frame is t-1, the flow of t-1 is the reference flow
    info = CityscapesSeqDataset(data_root=cityscapes_seq, tps_offset=1).get_data_info(0)
    assert info['img_ref_path'] == info['img_prev_path']
    assert info['flow_ref_path'].endswith('_000018_flow.npy')


def test_missing_previous_frame(cityscapes_seq):
    prev = osp.join(cityscapes_seq, 'leftImg8bit_sequence/train',
                    CS_STEM.format(18) + '_leftImg8bit.png')
    os.remove(prev)
    with pytest.raises(FileNotFoundError) as err:
        CityscapesSeqDataset(data_root=cityscapes_seq)
    msg = str(err.value)
    assert f'previous frame (t-1) {prev!r}' in msg and 'leftImg8bit_sequence, not' in msg
    assert 'a sequence shorter than the method needs' in msg


def test_sequence_shorter_than_tps_needs(cityscapes_seq):
    with pytest.raises(FileNotFoundError) as err:
        CityscapesSeqDataset(data_root=cityscapes_seq, tps_offset=4)  # needs frame 14
    msg = str(err.value)
    assert 'aachen_000000_000015_leftImg8bit.png' in msg  # t-I
    assert 'a sequence shorter than the method needs' in msg and '2 frame(s)' in msg


def test_missing_flow_file(cityscapes_seq):
    flow = osp.join(cityscapes_seq, 'leftImg8bit_sequence_flow/train',
                    CS_STEM.format(19) + '_flow.npy')
    os.remove(flow)
    with pytest.raises(FileNotFoundError) as err:
        CityscapesSeqDataset(data_root=cityscapes_seq)
    msg = str(err.value)
    assert f'optical flow file {flow!r}' in msg and 'tools/misc/compute_flow.py' in msg
    # the whole flow folder missing
    with pytest.raises(FileNotFoundError, match=r'optical flow folder .*nowhere.* does not'):
        CityscapesSeqDataset(data_root=cityscapes_seq,
                             data_prefix=dict(img_path='leftImg8bit_sequence/train',
                                              seg_map_path='gtFine/train', flow_root='nowhere'))
    # no flow_root: no flows; LoadVideoFrames(load_flow=False) loads the frames only
    ds = CityscapesSeqDataset(
        data_root=cityscapes_seq, pipeline=PIPELINE[:2] + [dict(type='LoadVideoFrames',
                                                                load_flow=False)],
        data_prefix=dict(img_path='leftImg8bit_sequence/train', seg_map_path='gtFine/train'))
    assert 'flow' not in ds[0] and ds[0]['img_prev'].shape == (H, W, 3)
    with pytest.raises(KeyError, match='no flow_path: give the dataset a flow_root'):
        LoadVideoFrames()(ds.pipeline.transforms[0](dict(ds.get_data_info(0))))


def test_wrong_flow_shape(cityscapes_seq):
    flow = osp.join(cityscapes_seq, 'leftImg8bit_sequence_flow/train',
                    CS_STEM.format(19) + '_flow.npy')
    _flow(flow, h=H // 2, w=W // 2)
    ds = CityscapesSeqDataset(data_root=cityscapes_seq, pipeline=PIPELINE)
    with pytest.raises(ValueError, match=rf"{flow} has shape \(8, 12, 2\); expected "
                                         rf"\({H}, {W}, 2\)"):
        ds[0]


def test_wrong_neighbour_size(cityscapes_seq):
    _frame(osp.join(cityscapes_seq, 'leftImg8bit_sequence/train',
                    CS_STEM.format(18) + '_leftImg8bit.png'), 0, h=H + 2)
    ds = CityscapesSeqDataset(data_root=cityscapes_seq, pipeline=PIPELINE)
    with pytest.raises(ValueError, match=r'frame t-1 .*000018_leftImg8bit.png.* is 24 x 18 '
                                         r'but frame t .* is 24 x 16'):
        ds[0]


def test_cityscapes_seq_converter_errors(tmp_path):
    assert f"no folder '{tmp_path / 'gtFine'}'" in convert('cityscapes_seq', str(tmp_path))
    root = make_cityscapes_seq(str(tmp_path / 'cs'))
    bad = osp.join(root, 'gtFine/train/aachen/aachen_000001_000019_gtFine_labelIds.png')
    Image.fromarray(np.full((H, W), 40, np.uint8), mode='L').save(bad)
    msg = convert('cityscapes_seq', root)
    assert 'holds unknown label id(s) [40]' in msg and bad in msg and 'nothing was written' in msg
    assert not [f for f in os.listdir(osp.dirname(bad)) if 'TrainIds' in f or '.tmp-' in f]
    with pytest.raises(ValueError, match='class_set must be one of'):
        CityscapesSeqDataset(data_root=root, class_set='gta')


# ---------------------------------------------------------------------------------------------
# VIPER
# ---------------------------------------------------------------------------------------------

def _viper_label():
    """VIPER class ids: the ego vehicle (a car blob touching the bottom row's middle), another
    car, tree, vegetation, sky, van, fire hydrant."""
    ids = _blocks(np.uint8([[24, 7, 8, 2], [25, 16, 2, 2]]))
    ids[12:, 8:16] = 24  # the hood: a car component under the bottom row's middle pixel (12)
    return ids


def _viper_train_ids():
    ids = _blocks(np.uint8([[10, 6, 6, 8], [255, 255, 8, 8]]))
    ids[12:, 8:16] = 255  # ego vehicle ignored
    return ids


def make_viper(root, frames=(8, 9, 10), labelled=(10, ), seq='001'):
    for i in frames:
        _frame(osp.join(root, 'train/img', seq, f'{seq}_{i:05d}.jpg'), i)
        _flow(osp.join(root, 'train/img_flow', seq, f'{seq}_{i:05d}_flow.npy'))
    for i in labelled:
        path = osp.join(root, 'train/cls', seq, f'{seq}_{i:05d}.png')
        os.makedirs(osp.dirname(path), exist_ok=True)
        Image.fromarray(_viper_label(), mode='L').convert('P').save(path)  # an indexed PNG
    return root


def test_viper_converter_and_dataset(tmp_path):
    root = make_viper(str(tmp_path / 'viper'))
    assert convert('viper', root) is None
    out = np.asarray(Image.open(osp.join(root, 'train/cls/001/001_00010_labelTrainIds.png')))
    assert np.array_equal(out, _viper_train_ids())
    assert convert('viper', root) is None  # re-running converts the originals only
    ds = ViperDataset(data_root=root, pipeline=PIPELINE)
    assert len(ds) == 1 and ds.metainfo['classes'][10] == 'car'
    info = ds.get_data_info(0)
    assert info['img_prev_path'].endswith(osp.join('train', 'img', '001', '001_00009.jpg'))
    assert info['flow_path'].endswith(osp.join('train', 'img_flow', '001', '001_00010_flow.npy'))
    sample = ds[0]
    assert sample['img_prev'].shape == (H, W, 3) and sample['flow'].shape == (H, W, 2)
    assert np.array_equal(sample['gt_seg_map'], _viper_train_ids())


def test_viper_ego_vehicle_only_under_the_bottom_middle(tmp_path):
    from mmuda.datasets.video import viper_train_ids
    ids = _viper_label()
    ids[12:, 8:16] = 3  # no hood: the road under the middle; the car at the top left stays
    out = viper_train_ids(ids)
    assert (out[:8, :6] == 10).all() and (out[12:, 8:16] == 0).all()


def test_viper_converter_rejects_unknown_ids_all_or_nothing(tmp_path):
    root = make_viper(str(tmp_path / 'viper'), frames=(8, 9, 10, 19, 20), labelled=(10, 20))
    bad = osp.join(root, 'train/cls/001/001_00020.png')
    Image.fromarray(np.full((H, W), 32, np.uint8), mode='L').save(bad)
    msg = convert('viper', root)
    assert f"{bad!r}: holds unknown label id(s) [32]" in msg and 'VIPER class ids 0..31' in msg
    assert sorted(os.listdir(osp.dirname(bad))) == ['001_00010.png', '001_00020.png']
    os.remove(osp.join(root, 'train/img/001/001_00020.jpg'))
    assert '1 label(s) have no frame' in convert('viper', root)
    assert f"no folder '{tmp_path / 'train' / 'img'}'" in convert('viper', str(tmp_path))


# ---------------------------------------------------------------------------------------------
# SYNTHIA-Seq
# ---------------------------------------------------------------------------------------------

SH, SW = 160, 16  # 120 rows are cut: 40 remain
CAM = 'Stereo_Left/Omni_F'
# SYNTHIA-SEQS ids: road 3, cyclist 11, light 15, fence 5 / sky 1, lane marking 12, car 8,
# void 0; the bottom 120 rows: pedestrian 10 (cut)
SY_IDS = [[3, 11, 15, 5], [1, 12, 8, 0]]
SY_TRAIN = [[0, 10, 5, 3], [8, 255, 11, 255]]


def _synthia_label(path, ids):
    os.makedirs(osp.dirname(path), exist_ok=True)
    bgr = np.zeros(ids.shape + (3, ), np.uint16)
    bgr[..., 2] = ids  # R: class
    bgr[..., 1] = 7    # G: instance
    bgr[..., 0] = 9    # B: would read as sign
    assert cv2.imwrite(path, bgr)


def make_synthia_seq(root, n=3):
    ids = np.full((SH, SW), 10, np.uint16)
    ids[:SH - 120] = _blocks(np.uint16(SY_IDS), SH - 120, SW)
    for i in range(n):
        _frame(osp.join(root, 'RGB', CAM, f'{i:06d}.png'), i, SH, SW)
        _synthia_label(osp.join(root, 'GT/LABELS', CAM, f'{i:06d}.png'), ids)
        # the flow points 10 rows down: into the cut rows for the last 10 kept rows
        _flow(osp.join(root, 'RGB_flow', CAM, f'{i:06d}_flow.npy'), SH, SW, value=(0, 10))
    return root


SY_PIPELINE = PIPELINE + [dict(type='CutBottomRows')]


def test_synthia_seq_converter_cut_and_first_frame(tmp_path):
    root = make_synthia_seq(str(tmp_path / 'SYNTHIA-SEQS-04-DAWN'))
    assert convert('synthia_seq', root) is None
    label = np.asarray(Image.open(osp.join(root, 'GT/LABELS', CAM, '000001_labelTrainIds.png')))
    assert label.shape == (SH, SW)  # full size; the pipeline cuts
    assert np.array_equal(label[:SH - 120], _blocks(np.uint8(SY_TRAIN), SH - 120, SW))
    assert (label[SH - 120:] == 9).all()  # pedestrian -> person

    ds = SynthiaSeqDataset(data_root=root, pipeline=SY_PIPELINE)
    # frame 0 starts the sequence (no t-1): not a sample, as the reference's list
    assert [osp.basename(ds.get_data_info(i)['img_path']) for i in range(len(ds))] == \
        ['000001.png', '000002.png']
    sample = ds[0]
    for key in ('img', 'img_prev', 'gt_seg_map', 'flow'):
        assert sample[key].shape[:2] == (SH - 120, SW), key
    assert sample['img_shape'] == sample['ori_shape'] == (SH - 120, SW)
    assert np.array_equal(sample['gt_seg_map'], _blocks(np.uint8(SY_TRAIN), SH - 120, SW))
    raw = cv2.imread(osp.join(root, 'RGB', CAM, '000001.png'))
    assert np.array_equal(sample['img'], raw[:SH - 120])
    flow = sample['flow']  # rows 30..39 + 10 land in the cut rows of t-1
    assert np.isnan(flow[30:]).all() and (flow[:30] == [0, 10]).all()

    with pytest.raises(ValueError, match='pipeline has no CutBottomRows'):
        SynthiaSeqDataset(data_root=root, pipeline=PIPELINE)
    assert SynthiaSeqDataset(data_root=root, pipeline=PIPELINE,
                             cut_bottom_rows=0)[0]['img'].shape == (SH, SW, 3)


def test_synthia_seq_shorter_than_the_method_needs(tmp_path):
    root = make_synthia_seq(str(tmp_path / 'seq'))
    assert convert('synthia_seq', root) is None
    with pytest.raises(ValueError, match=r'all 3 annotated frame\(s\) .* are too close to the '
                                         r'start of their sequence: a sequence shorter than '
                                         r'the method needs \(frames t-1, t-2 and t-3'):
        SynthiaSeqDataset(data_root=root, pipeline=SY_PIPELINE, tps_offset=2)


def test_synthia_seq_converter_errors(tmp_path):
    root = make_synthia_seq(str(tmp_path / 'seq'), n=2)
    bad = osp.join(root, 'GT/LABELS', CAM, '000001.png')
    _synthia_label(bad, np.full((SH, SW), 22, np.uint16))  # a RAND-CITYSCAPES id
    msg = convert('synthia_seq', root)
    assert f'{bad!r}: holds unknown label id(s) [22]' in msg and 'ids 0..15' in msg
    assert not [f for f in os.listdir(osp.dirname(bad)) if 'TrainIds' in f or '.tmp-' in f]
    cv2.imwrite(bad, np.zeros((SH, SW), np.uint8))
    assert 'expected a SYNTHIA-Seq label PNG (16-bit, 3 channels' in convert('synthia_seq', root)
    assert f"no folder '{tmp_path / 'RGB' / 'Stereo_Left' / 'Omni_F'}'" in \
        convert('synthia_seq', str(tmp_path))


# ---------------------------------------------------------------------------------------------
# Helpers and transforms
# ---------------------------------------------------------------------------------------------

def test_frame_names():
    assert split_frame_index('aachen/aachen_000000_000019') == ('aachen/aachen_000000_', 19, 6)
    assert neighbour_stem('aachen/aachen_000000_000019', 1) == 'aachen/aachen_000000_000018'
    assert neighbour_stem('001/001_00010', 2) == '001/001_00008'
    assert neighbour_stem('000000', 1) is None
    assert split_frame_index('x/frame_a') is None


def test_cut_bottom_rows_needs_rows():
    with pytest.raises(KeyError, match='no rows given'):
        CutBottomRows()(dict(img=np.zeros((4, 4, 3), np.uint8)))
    with pytest.raises(ValueError, match='cannot cut 4 rows'):
        CutBottomRows(4)(dict(img=np.zeros((4, 4, 3), np.uint8)))


# ---------------------------------------------------------------------------------------------
# The benchmark configs' data on the fakes
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize('config, source', [
    ('davsn/davsn_accel-deeplabv2-r101_1x1-120k_viper2cityscapes-seq.py', 'viper'),
    ('tps/tps_accel-deeplabv2-r101_1x1-40k_viper2cityscapes-seq.py', 'viper'),
    ('tps/tps_accel-deeplabv2-r101_1x1-40k_synthia-seq2cityscapes-seq.py', 'synthia_seq'),
])
def test_benchmark_configs_load_video_batches(tmp_path, config, source):
    """The VIPER / SYNTHIA-Seq -> Cityscapes-Seq configs' datasets and pipelines on fakes in
    the real layouts: the sizes of the reference (1280 x 720, 1280 x 640 after the cut,
    1024 x 512), the neighbour frames and flows resized alike (flow vectors scaled), TPS's
    t-I pair, the model's pre-processor, and the val labels at full resolution."""
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate

    from mmuda.registry import DATASETS, MODELS
    cfg = Config.fromfile(osp.join(ROOT, 'configs', config))
    cs_root = make_cityscapes_seq(str(tmp_path / 'cityscapes'))
    assert convert('cityscapes_seq', cs_root) is None
    if source == 'viper':
        src_root, size = make_viper(str(tmp_path / 'viper')), (720, 1280)
    else:
        src_root, size = make_synthia_seq(str(tmp_path / 'synthia'), n=3), (SH - 120, SW)
    assert convert(source, src_root) is None
    data = cfg.train_dataloader.dataset
    data.source.data_root, data.target.data_root = src_root, cs_root
    batch = pseudo_collate([DATASETS.build(data)[0]])
    src, tgt = batch['data_samples']['source'][0], batch['data_samples']['target'][0]
    assert tuple(batch['inputs']['source'][0].shape[1:]) == size
    assert tuple(batch['inputs']['target'][0].shape[1:]) == (512, 1024)
    assert src.frames.img_prev.shape == (3, *size) and src.gt_sem_seg.shape == size
    tps = cfg.model.type == 'TPS'
    assert set(tgt.frames.keys()) == ({'img_prev', 'flow', 'img_ref', 'img_ref_prev',
                                       'flow_ref'} if tps else {'img_prev', 'flow'})
    # the fake flow of frame 19 is (19, -19) px at 24 x 16; x 1024/24 and 512/16 at 1024 x 512
    flow = tgt.frames.flow
    assert torch_allclose(flow[0, 100:400, 100:900], 19 * 1024 / W)
    assert torch_allclose(flow[1, 100:400, 100:900], -19 * 512 / H)
    model = MODELS.build(cfg.model)
    out = model.data_preprocessor(batch, True)
    frames = out['data_samples']['target'][0].frames
    assert frames.img_prev.dtype.is_floating_point and frames.img_prev.shape == (3, 512, 1024)
    val = dict(cfg.val_dataloader.dataset, data_root=cs_root, split='train',
               data_prefix=dict(img_path='leftImg8bit_sequence/train', seg_map_path='gtFine/train',
                                flow_root='leftImg8bit_sequence_flow/train'))
    sample = DATASETS.build(val)[0]
    assert tuple(sample['inputs'].shape[1:]) == (512, 1024)
    assert sample['data_samples'].gt_sem_seg.shape == (H, W)  # scored at full resolution


def torch_allclose(t, value):
    return bool(((t - value).abs() < 1e-3 * max(1.0, abs(value))).all())
