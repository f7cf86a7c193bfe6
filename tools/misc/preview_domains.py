# Copyright (c) mmuda contributors. All rights reserved.
"""Render a few scenes of each synthetic style of a config into one PNG (rows: scenes;
columns: styles, then the label map), to look at a domain shift before training on it.

    python tools/misc/preview_domains.py configs/_base_/datasets/synthetic_domains.py \
        --styles source_style target_style target_fog_style target_night_style --out x.png
"""
import argparse

import cv2
import numpy as np
from mmengine.config import Config

from mmuda.datasets.synthetic import PALETTE, generate_scene, merge_style


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='a config defining the style dicts')
    parser.add_argument('--styles', nargs='+',
                        default=['source_style', 'target_style', 'target_fog_style',
                                 'target_night_style'],
                        help='names of the style variables in the config')
    parser.add_argument('--num', type=int, default=3, help='scenes per style')
    parser.add_argument('--size', type=int, nargs=2, default=(128, 256), metavar=('H', 'W'))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default='domains_preview.png')
    args = parser.parse_args()

    cfg = Config.fromfile(args.config)
    missing = [s for s in args.styles if s not in cfg]
    if missing:
        raise SystemExit(f'{args.config} defines no variable(s) {missing}; it has '
                         f'{sorted(k for k in cfg if k.endswith("_style"))}')
    lut = np.zeros((256, 3), np.uint8)
    lut[:len(PALETTE)] = PALETTE
    rows = []
    for i in range(args.num):
        tiles, label = [], None
        for name in args.styles:
            # the same layout seed for every style: only the appearance (and the layout
            # parameters the style sets) differ between columns
            image, label, _ = generate_scene([args.seed, i], *args.size,
                                             merge_style(cfg[name]))
            tiles.append(image)
        tiles.append(lut[label])
        rows.append(np.concatenate(tiles, 1))
    cv2.imwrite(args.out, cv2.cvtColor(np.concatenate(rows, 0), cv2.COLOR_RGB2BGR))
    print(f'wrote {args.out}: rows = scenes, columns = {args.styles + ["labels (last)"]}')


if __name__ == '__main__':
    main()
