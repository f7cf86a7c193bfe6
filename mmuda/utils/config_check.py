# Copyright (c) mmuda contributors. All rights reserved.
"""Config mistakes found before the Runner is built, each named by its config path.

mmengine silently ignores a misspelt top-level key (``optim_wraper=...`` leaves the base
config's ``optim_wrapper`` in force), finds a wrong ``CheckpointHook`` argument only at the
first save (the hook hands what it does not know to ``Runner.save_checkpoint``), and builds
the data pipelines only when their loader is first used (the validation pipeline after the
whole training), where a bad transform argument is often a bare ``AssertionError``.
:func:`check_config`, called by ``tools/train.py`` and ``tools/test.py`` before anything is
built or written, reports all of them at once as one :class:`ConfigError`.
"""
import copy
import difflib
import inspect
import os.path as osp
import traceback
from typing import Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from mmengine.config import Config
from mmengine.hooks import CheckpointHook
from mmengine.registry import HOOKS, RUNNERS, TRANSFORMS, DefaultScope
from mmengine.runner import Runner

from .errors import RunError

#: keys the Runner reads from the config besides its ``__init__`` arguments
RUNNER_CFG_KEYS = frozenset({
    'runner_type', 'model_wrapper_cfg', 'sync_bn', 'find_unused_parameters', 'compile',
    'activation_checkpointing', 'efficient_conv_bn_eval', 'gpu_ids'})
#: top-level keys the tools or mmengine's Config read (never flagged, never suggested)
TOOL_KEYS = frozenset({'tta_model', 'tta_pipeline', 'custom_imports'})
#: how close (difflib ratio) an unknown key must be to a Runner key to be called a typo. The
#: helper variables of the configs in configs/ (``optimizer``, ``train_pipeline``, ...) are at
#: most 0.72 from one (tests/test_tools/test_train_robustness.py checks every config);
#: one-letter slips of Runner keys are above 0.85.
KEY_CUTOFF = 0.8


class ConfigError(RunError):
    """The config has mistakes; the message lists each with its config path."""


def _params(func) -> Tuple[Set[str], bool]:
    """(named parameters, takes **kwargs) of a callable."""
    sig = inspect.signature(func)
    named = {n for n, p in sig.parameters.items()
             if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)} - {'self'}
    return named, any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())


def _suggest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=cutoff)
    return f" (did you mean '{close[0]}'?)" if close else ''


def _runner_class(cfg):
    runner_type = cfg.get('runner_type')
    if isinstance(runner_type, str):
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
            with RUNNERS.switch_scope_and_registry(None) as registry:
                return registry.get(runner_type) or Runner
    return runner_type if inspect.isclass(runner_type) else Runner


def check_top_level_keys(cfg) -> List[str]:
    """Top-level keys that are not a Runner argument but close to one (likely misspelt).

    Configs define helper variables at top level (``crop_size``, ``train_pipeline``,
    ``source_style`` ...), so an unknown key alone is not an error: only one within
    :data:`KEY_CUTOFF` of a key the Runner reads.
    """
    named, any_kwargs = _params(_runner_class(cfg).__init__)
    if any_kwargs:
        return []
    known = (named - {'cfg'}) | RUNNER_CFG_KEYS
    problems = []
    for key in cfg.keys():
        if key in known or key in TOOL_KEYS or key.startswith('_'):
            continue
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=KEY_CUTOFF)
        if close:
            problems.append(f"top-level key '{key}' is not read by the Runner; did you mean "
                            f"'{close[0]}'? (a misspelt key is otherwise ignored silently)")
    return problems


def _checkpoint_hook_extras(runner_cls) -> Optional[Set[str]]:
    """The extra ``CheckpointHook`` arguments that reach ``save_checkpoint`` legally (None:
    any, the runner's ``save_checkpoint`` takes **kwargs)."""
    save_params, any_kwargs = _params(runner_cls.save_checkpoint)
    if any_kwargs:
        return None
    hook_params, _ = _params(CheckpointHook.__init__)
    # the hook passes these itself: out_dir and filename (positional), meta, and its own
    # arguments of the same name (by_epoch, save_optimizer, backend_args, ...)
    return save_params - hook_params - {'out_dir', 'filename', 'meta'}


def check_hooks(cfg) -> List[str]:
    """Arguments of ``default_hooks`` and ``custom_hooks`` that the hook does not take.

    A hook whose ``__init__`` takes **kwargs is not checked, except ``CheckpointHook`` (and
    subclasses): its extra arguments go to ``Runner.save_checkpoint`` at the first save, so
    they are checked against that signature.
    """
    entries = [(f'default_hooks.{name}', hook)
               for name, hook in (cfg.get('default_hooks') or {}).items()]
    entries += [(f'custom_hooks[{i}]', hook) for i, hook in enumerate(cfg.get('custom_hooks')
                                                                        or [])]
    runner_cls = _runner_class(cfg)
    problems = []
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        for where, hook in entries:
            if not isinstance(hook, dict) or 'type' not in hook:
                continue  # None (disabled), a built hook, or a dict the Runner reports
            hook_type = hook['type']
            if isinstance(hook_type, str):
                with HOOKS.switch_scope_and_registry(hook.get('_scope_')) as registry:
                    cls = registry.get(hook_type)
                if cls is None:
                    problems.append(f'{where}: no hook type {hook_type!r} is registered')
                    continue
            else:
                cls = hook_type
            if not inspect.isclass(cls):
                continue
            name = cls.__name__
            args = set(hook) - {'type', 'priority', '_scope_'}
            params, any_kwargs = _params(cls.__init__)
            unknown = sorted(args - params)
            if not unknown or (any_kwargs and not issubclass(cls, CheckpointHook)):
                continue
            if any_kwargs:  # CheckpointHook: the rest goes to Runner.save_checkpoint
                extras = _checkpoint_hook_extras(runner_cls)
                if extras is None:
                    continue
                unknown = [a for a in unknown if a not in extras]
                if not unknown:
                    continue
                takes = f'only {", ".join(sorted(extras))}' if extras else 'no extra one'
                detail = (f'{name} hands the arguments it does not know to '
                          f'{runner_cls.__name__}.save_checkpoint, which takes {takes}: the '
                          'run would fail at its first save')
            else:
                detail = f'{name} takes: {", ".join(sorted(params))}'
            listed = ', '.join(f"'{a}'{_suggest(a, params)}" for a in unknown)
            problems.append(f'{where}: unknown argument(s) {listed}; {detail}')
    return problems


def _pipelines(node, path: str) -> Iterator[Tuple[str, list]]:
    """(config path, pipeline list) of every ``pipeline`` inside a dataset config (wrapped
    datasets: UDA source/target, concatenations, repeats)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'pipeline' and isinstance(value, (list, tuple)):
                yield f'{path}.pipeline', value
            elif isinstance(value, (dict, list, tuple)):
                yield from _pipelines(value, f'{path}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _pipelines(value, f'{path}[{i}]')


def _describe(exc: BaseException) -> str:
    """The upstream message, or for a bare assertion the failing line and its place."""
    message = str(exc).strip()
    if message:
        return message if isinstance(exc, (ValueError, AssertionError, TypeError)) \
            else f'{type(exc).__name__}: {message}'
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    frame = frames[-1]
    where = frame.filename.split('site-packages' + osp.sep)[-1]
    return f'{type(exc).__name__} in {where}:{frame.lineno}: {frame.line}'


def check_pipelines(cfg, loaders: Sequence[str]) -> List[str]:
    """Build every transform of the loaders' dataset pipelines; report each that fails as
    ``<loader>.dataset...pipeline[i] (<type>): <the upstream message>``."""
    problems = []
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        for loader in loaders:
            loader_cfg = cfg.get(loader)
            if not isinstance(loader_cfg, dict) or 'dataset' not in loader_cfg:
                continue
            seen = set()  # loaders often share one dataset config
            for path, pipeline in _pipelines(loader_cfg['dataset'], f'{loader}.dataset'):
                for i, transform in enumerate(pipeline):
                    if not isinstance(transform, dict) or 'type' not in transform:
                        continue
                    try:
                        TRANSFORMS.build(copy.deepcopy(transform))
                    except Exception as exc:  # the transform's own check, whatever it raises
                        line = f'{path}[{i}] ({transform["type"]}): {_describe(exc)}'
                        if line not in seen:
                            seen.add(line)
                            problems.append(line)
    return problems


def check_config(cfg, loaders: Sequence[str] = ('train_dataloader', 'val_dataloader'),
                 filename: Optional[str] = None) -> None:
    """Check the top-level keys, the hooks' arguments and the loaders' pipelines of ``cfg``;
    raise one :class:`ConfigError` listing every problem found."""
    problems = check_top_level_keys(cfg) + check_hooks(cfg) + check_pipelines(cfg, loaders)
    if problems:
        source = f' {filename}' if filename else ''
        raise ConfigError(f'The config{source} has {len(problems)} mistake(s):\n  - ' +
                          '\n  - '.join(problems))


def load_config(path: str, cfg_options: Optional[dict] = None):
    """The config of an analysis tool: ``path`` read with mmengine's ``Config``, the
    ``--cfg-options`` merged; a missing file stops the tool with one line naming it."""
    if not osp.isfile(path):
        raise SystemExit(f'no config file {path!r}')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg
