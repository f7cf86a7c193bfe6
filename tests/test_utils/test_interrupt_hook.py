# Copyright (c) mmuda contributors. All rights reserved.
"""The SIGINT handler of InterruptHook: abort in set-up, stop gracefully in training."""
import os
import signal
import time

import pytest

from mmuda.engine import InterruptHook


def test_sigint_aborts_set_up_then_stops_training_then_aborts():
    started = []
    hook = InterruptHook(on_start=lambda: started.append(True))
    previous = signal.getsignal(signal.SIGINT)
    with hook.handling_sigint():
        # before the first iteration there is nothing to save: abort at once
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
        assert not hook.requested
        hook.before_train_iter(runner=None, batch_idx=0)
        hook.before_train_iter(runner=None, batch_idx=1)
        assert started == [True]  # the work-dir guard is told once
        # in training the first Ctrl-C only asks to stop after this iteration
        hook.repeat_window_s = 0.5
        os.kill(os.getpid(), signal.SIGINT)
        assert hook.requested
        # the same Ctrl-C forwarded by a launcher (torchrun) right after it changes nothing
        os.kill(os.getpid(), signal.SIGINT)
        # a second one aborts
        time.sleep(0.6)
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is previous
