# Copyright (c) mmuda contributors. All rights reserved.
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register mmuda's modules (and mmseg's / mmdet's) into the registries.

    Args:
        init_default_scope (bool): set the default scope to 'mmuda' so that configs can name
            mmuda's modules without a prefix. Defaults to True.
    """
    import mmdet.utils
    import mmseg.utils

    import mmuda.datasets  # noqa: F401,F403
    import mmuda.engine  # noqa: F401,F403
    import mmuda.evaluation  # noqa: F401,F403
    import mmuda.models  # noqa: F401,F403
    mmseg.utils.register_all_modules(init_default_scope=False)
    mmdet.utils.register_all_modules(init_default_scope=False)

    if init_default_scope:
        never_created = DefaultScope.get_current_instance() is None \
            or not DefaultScope.check_instance_created('mmuda')
        if never_created:
            DefaultScope.get_instance('mmuda', scope_name='mmuda')
            return
        current_scope = DefaultScope.get_current_instance()
        if current_scope.scope_name != 'mmuda':
            warnings.warn('The current default scope '
                          f'"{current_scope.scope_name}" is not "mmuda", '
                          '`register_all_modules` will force the current'
                          'default scope to be "mmuda". If this is not '
                          'expected, please set `init_default_scope=False`.')
            # avoid name conflict
            new_instance_name = f'mmuda-{datetime.datetime.now()}'
            DefaultScope.get_instance(new_instance_name, scope_name='mmuda')
