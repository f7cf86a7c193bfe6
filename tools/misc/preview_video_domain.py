# Copyright (c) mmuda contributors. All rights reserved.
"""Write one synthetic video clip side by side into a PNG: one row per frame, columns = the
frame, its label map, the colour of its backward flow (hue = direction, brightness = speed,
white = NaN: no correspondence in the previous frame; the first frame has no flow: grey) and
the previous frame warped by that flow (it should look like the frame).

    # a clip generated in memory, in a style of a config
    python tools/misc/preview_video_domain.py --style target_style --seed 3 --out clip.png
    # a clip of a domain written by ensure_video_domain
    python tools/misc/preview_video_domain.py --domain-dir data/synthetic/target-video-1a2b3c4d \
        --split val --seq 0 --out clip.png
"""
import argparse
import json
import os.path as osp

import cv2
import numpy as np
from mmengine.config import Config

from mmuda.datasets.flow_io import read_flow
from mmuda.datasets.synthetic import PALETTE
from mmuda.datasets.synthetic.video import generate_clip


def flow_to_colour(flow: np.ndarray, max_norm: float) -> np.ndarray:
    """(H, W, 2) flow -> RGB uint8 (hue = direction, value = speed / max_norm; NaN white)."""
    valid = ~np.isnan(flow[..., 0])
    dx, dy = np.nan_to_num(flow[..., 0]), np.nan_to_num(flow[..., 1])
    mag, ang = cv2.cartToPolar(dx.astype(np.float32), dy.astype(np.float32), angleInDegrees=True)
    hsv = np.zeros(flow.shape[:2] + (3,), np.uint8)
    hsv[..., 0] = (ang / 2).astype(np.uint8)
    hsv[..., 1] = 255
    hsv[..., 2] = (np.clip(mag / max(max_norm, 1e-6), 0, 1) * 255).astype(np.uint8)
    rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    rgb[~valid] = 255
    return rgb


def warp_previous(prev: np.ndarray, flow: np.ndarray) -> np.ndarray:
    h, w = flow.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    valid = ~np.isnan(flow[..., 0])
    map_x = np.where(valid, xs + np.nan_to_num(flow[..., 0]), -10).astype(np.float32)
    map_y = np.where(valid, ys + np.nan_to_num(flow[..., 1]), -10).astype(np.float32)
    return cv2.remap(prev, map_x, map_y, cv2.INTER_LINEAR, borderValue=(0, 0, 0))


def load_clip(folder: str, split: str, seq: int):
    meta = json.load(open(osp.join(folder, 'meta.json')))
    clips = meta['clips'][split]
    if not 0 <= seq < len(clips):
        raise SystemExit(f'{folder} has {len(clips)} {split} clips; no --seq {seq}')
    entry = clips[seq]
    frames = [cv2.cvtColor(cv2.imread(osp.join(folder, f)), cv2.COLOR_BGR2RGB)
              for f in entry['frames']]
    labels = [cv2.imread(osp.join(folder, f), cv2.IMREAD_UNCHANGED) for f in entry['labels']]
    flows = [read_flow(osp.join(folder, f), shape=frames[0].shape[:2])
             for f in entry['flows'][1:]]
    return np.stack(frames), np.stack(labels), np.stack(flows)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default='configs/_base_/datasets/synthetic_domains.py',
                        help='a config defining the style dicts')
    parser.add_argument('--style', default='target_style', help='style variable of the config')
    parser.add_argument('--frames', type=int, default=4)
    parser.add_argument('--size', type=int, nargs=2, default=(128, 256), metavar=('H', 'W'))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--domain-dir', help='read a clip of this written video domain instead')
    parser.add_argument('--split', default='val')
    parser.add_argument('--seq', type=int, default=0)
    parser.add_argument('--out', default='video_preview.png')
    args = parser.parse_args()

    if args.domain_dir:
        frames, labels, flows = load_clip(args.domain_dir, args.split, args.seq)
    else:
        cfg = Config.fromfile(args.config)
        if args.style not in cfg:
            raise SystemExit(f'{args.config} defines no variable {args.style!r}; it has '
                             f'{sorted(k for k in cfg if k.endswith("_style"))}')
        clip = generate_clip([args.seed], args.frames, *args.size, cfg[args.style])
        frames, labels, flows = clip.frames, clip.labels, clip.flows
    lut = np.zeros((256, 3), np.uint8)
    lut[:len(PALETTE)] = PALETTE
    max_norm = float(np.nanmax(np.linalg.norm(flows, axis=-1))) if np.isfinite(flows).any() \
        else 1.0
    rows = []
    for t in range(len(frames)):
        if t == 0:
            grey = np.full_like(frames[0], 128)
            extra = [grey, grey]
        else:
            extra = [flow_to_colour(flows[t - 1], max_norm),
                     warp_previous(frames[t - 1], flows[t - 1])]
        rows.append(np.concatenate([frames[t], lut[labels[t]]] + extra, 1))
    cv2.imwrite(args.out, cv2.cvtColor(np.concatenate(rows, 0), cv2.COLOR_RGB2BGR))
    print(f'wrote {args.out}: rows = frames; columns = frame, labels, flow to the previous '
          f'frame (white = NaN, max {max_norm:.2f} px), previous frame warped by the flow')


if __name__ == '__main__':
    main()
