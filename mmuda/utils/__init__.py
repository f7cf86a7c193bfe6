# Copyright (c) mmuda contributors. All rights reserved.
from .checkpoint import allowlist_checkpoint_classes, checkpoint_safe_globals
from .dist import close_dist, init_cpu_dist, record_dist_backend
from .setup_env import register_all_modules

__all__ = ['allowlist_checkpoint_classes', 'checkpoint_safe_globals', 'close_dist',
           'init_cpu_dist', 'record_dist_backend', 'register_all_modules']
