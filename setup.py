#!/usr/bin/env python
# Copyright (c) mmuda contributors. All rights reserved.
"""Packaging of mmuda as an OpenMMLab (mim) plugin.

As mmdet and mmseg do, the configs/ and tools/ folders (and model-index.yml) are made part of
the package under mmuda/.mim: symlinked for an editable install, copied for a normal one, so
that after installation ``mim train mmuda <config>`` and ``mim test mmuda <config>`` find them.
"""
import os
import os.path as osp
import shutil
import sys
import warnings

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def readme():
    with open(osp.join(HERE, 'README.md'), encoding='utf-8') as f:
        return f.read()


def get_version():
    scope = {}
    with open(osp.join(HERE, 'mmuda', 'version.py')) as f:
        exec(compile(f.read(), 'mmuda/version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname):
    """Requirement lines of ``fname``, following ``-r`` includes, without comments."""
    reqs = []
    with open(osp.join(HERE, fname)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            if line.startswith('-r '):
                reqs += parse_requirements(
                    osp.join(osp.dirname(fname), line[3:].strip()))
            else:
                reqs.append(line)
    return reqs


def add_mim_extension():
    """Put configs/, tools/ and model-index.yml into mmuda/.mim."""
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif any(cmd in sys.argv for cmd in ('sdist', 'bdist_wheel', 'install', 'build',
                                         'build_py', 'egg_info')):
        mode = 'copy'
    else:
        return
    filenames = ['tools', 'configs', 'model-index.yml']
    mim_path = osp.join(HERE, 'mmuda', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for filename in filenames:
        src = osp.join(HERE, filename)
        if not osp.exists(src):
            continue
        tar = osp.join(mim_path, filename)
        if osp.isfile(tar) or osp.islink(tar):
            os.remove(tar)
        elif osp.isdir(tar):
            shutil.rmtree(tar)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), tar)
        else:
            if osp.isfile(src):
                shutil.copyfile(src, tar)
            else:
                shutil.copytree(src, tar)
            if mode != 'copy':
                warnings.warn(f'Invalid mode {mode}')


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmuda',
        version=get_version(),
        description='Unsupervised domain adaptation toolbox on the OpenMMLab 2.x stack',
        long_description=readme(),
        long_description_content_type='text/markdown',
        keywords='computer vision, domain adaptation, segmentation, detection',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
        include_package_data=True,
        python_requires='>=3.8',
        classifiers=[
            'License :: OSI Approved :: Apache Software License',
            'Operating System :: OS Independent',
            'Programming Language :: Python :: 3',
        ],
        license='Apache License 2.0',
        install_requires=parse_requirements('requirements/runtime.txt'),
        extras_require=dict(
            mim=parse_requirements('requirements/mminstall.txt'),
            tests=parse_requirements('requirements/tests.txt')),
        zip_safe=False)
