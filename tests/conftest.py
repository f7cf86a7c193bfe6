# Copyright (c) mmuda contributors. All rights reserved.
import pytest


@pytest.fixture(scope='session')
def tiny_data_root(tmp_path_factory):
    """A data root shared by the tests that train (domains are generated once)."""
    return str(tmp_path_factory.mktemp('synthetic'))
