"""Cancellation: SIGTERM, SIGINT or a "stop" line on stdin set a flag that the training loop
checks between steps, so it can write a consistent checkpoint before exiting. No torch import
here: the handler must be in place before the (slow) torch import starts."""
import os
import signal
import threading


class StopFlag:
    def __init__(self):
        self.signal = None

    def install(self, parent_pipe=False):
        """parent_pipe: stdin is a pipe held by the app. Windows cannot deliver a catchable
        SIGTERM to a child, so the app writes "stop" there instead; and when the pipe closes
        the app is gone (crashed, killed), so the run checkpoints and stops instead of
        training on, orphaned, holding the GPU."""

        def handler(signum, _frame):
            self.signal = signum

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
        if parent_pipe:
            threading.Thread(target=self._watch_stdin, name="stop-on-stdin", daemon=True).start()

    def _watch_stdin(self):
        # Raw reads on file descriptor 0, not sys.stdin: a thread blocked inside sys.stdin
        # holds its buffer lock, and a forked DataLoader worker that closes sys.stdin (as
        # multiprocessing does at start-up) would wait for that lock forever.
        pending = b""
        try:
            while True:
                chunk = os.read(0, 256)
                if not chunk:
                    self.signal = signal.SIGTERM
                    return
                pending += chunk
                lines = pending.split(b"\n")
                pending = lines.pop()
                if any(line.strip() == b"stop" for line in lines):
                    self.signal = signal.SIGTERM
                    return
        except OSError:
            return

    @property
    def requested(self):
        return self.signal is not None
