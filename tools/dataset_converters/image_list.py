# Copyright (c) mmuda contributors. All rights reserved.
"""Write the image lists of a classification benchmark (VisDA-2017, Office-Home, Office-31)
from its extracted class folders, as read by mmuda's ``ImageListDataset`` subclasses.

    python tools/dataset_converters/image_list.py {visda2017,office_home,office31} DATA_ROOT \
        [--out-dir DATA_ROOT/image_list]

Expected layouts (relative to DATA_ROOT) and the lists written:

* visda2017: ``train/<class>/*.png``, ``validation/<class>/*.jpg`` -> ``train.txt``,
  ``validation.txt``
* office_home: ``<Domain>/<Class>/*.jpg`` for Art, Clipart, Product, Real_World ->
  ``Art.txt``, ``Clipart.txt``, ``Product.txt``, ``Real_World.txt``
* office31: ``<domain>/images/<class>/*.jpg`` for amazon, dslr, webcam -> ``amazon.txt``,
  ``dslr.txt``, ``webcam.txt``

Each line is ``<path relative to DATA_ROOT> <label>``, sorted by path, the label being the
index of the class in tllib's class order (``mmuda/datasets/image_list.py``). Every folder is
checked before anything is written: a missing domain or class folder, a folder that is not a
class of the benchmark, or a domain without images stops the converter with one message
listing all problems, and the lists are written to temporary files renamed into place only
when all are written, so existing lists stay as they were on failure.
"""
import argparse
import os
import os.path as osp
from typing import Dict, List, Tuple

from mmuda.datasets.image_list import LAYOUTS, Layout, ListSpec


def scan_list(data_root: str, spec: ListSpec, classes: Tuple[str, ...],
              problems: List[str]) -> List[str]:
    """The lines of the list ``spec`` (sorted); what is wrong is appended to ``problems``."""
    class_root = osp.join(data_root, spec.class_root)
    if not osp.isdir(class_root):
        problems.append(f'{spec.name}: no folder {class_root!r} (expected '
                        f'<data_root>/{spec.class_root}/<class>/*{spec.suffixes[0]})')
        return []
    folders = sorted(d for d in os.listdir(class_root)
                     if osp.isdir(osp.join(class_root, d)) and not d.startswith('.'))
    unknown = [d for d in folders if d not in classes]
    if unknown:
        problems.append(f'{spec.name}: {len(unknown)} folder(s) of {class_root!r} are not '
                        f'classes of the benchmark: {unknown}; expected only {list(classes)}')
    missing = [c for c in classes if c not in folders]
    if missing:
        problems.append(f'{spec.name}: {len(missing)} class folder(s) missing in '
                        f'{class_root!r}: {missing} (an incomplete extraction?)')
    lines = []
    for label, cls in enumerate(classes):
        folder = osp.join(class_root, cls)
        if not osp.isdir(folder):
            continue
        for f in os.listdir(folder):
            if f.lower().endswith(spec.suffixes) and osp.isfile(osp.join(folder, f)):
                lines.append(f'{spec.class_root}/{cls}/{f} {label}')
    if not lines and not missing and not unknown:
        problems.append(f'{spec.name}: no images ending in {" or ".join(spec.suffixes)} in '
                        f'the class folders of {class_root!r}')
    return sorted(lines)


def scan(data_root: str, layout: Layout) -> Dict[str, List[str]]:
    """The lines of every list of ``layout``; ``SystemExit`` listing all problems."""
    problems: List[str] = []
    lists = {spec.name: scan_list(data_root, spec, layout.classes, problems)
             for spec in layout.lists}
    if problems:
        raise SystemExit(f'{data_root}: nothing was written:\n' + '\n'.join(problems))
    return lists


def write_lists(lists: Dict[str, List[str]], out_dir: str) -> List[str]:
    """Write ``<out_dir>/<name>.txt`` for each list, all or none; returns the paths."""
    os.makedirs(out_dir, exist_ok=True)
    tag = f'.tmp-{os.getpid()}'
    paths = [osp.join(out_dir, f'{name}.txt') for name in lists]
    try:
        for path, lines in zip(paths, lists.values()):
            with open(path + tag, 'w', encoding='utf-8') as f:
                f.write(''.join(line + '\n' for line in lines))
    except BaseException:
        for path in paths:
            if osp.exists(path + tag):
                os.remove(path + tag)
        raise
    for path in paths:
        os.replace(path + tag, path)
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('dataset', choices=sorted(LAYOUTS))
    parser.add_argument('data_root')
    parser.add_argument('--out-dir', help='where the lists go (default: DATA_ROOT/image_list); '
                        'their paths are relative to DATA_ROOT wherever they are')
    args = parser.parse_args()
    if not osp.isdir(args.data_root):
        raise SystemExit(f'no folder {args.data_root!r}: expected the data root of '
                         f'{args.dataset} (see docs/dataset_prepare.md)')
    layout = LAYOUTS[args.dataset]
    lists = scan(args.data_root, layout)
    out_dir = args.out_dir or osp.join(args.data_root, 'image_list')
    for path, (name, lines) in zip(write_lists(lists, out_dir), lists.items()):
        print(f'{name}: {len(lines)} images of {len(layout.classes)} classes -> {path}')


if __name__ == '__main__':
    main()
