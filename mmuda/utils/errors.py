# Copyright (c) mmuda contributors. All rights reserved.
"""The base class of the errors whose message alone tells the user what to do."""


class RunError(RuntimeError):
    """A failure of a run that its message fully explains: what is wrong (the file, the config
    key, the iteration) and what to do about it. ``tools/train.py`` and ``tools/test.py`` print
    it as one paragraph, without a traceback, and exit with status 1."""
