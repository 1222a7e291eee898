"""Overlap the stages of a video run on threads: decoding ahead of the network, and drawing and
encoding behind it, so that both cores stay busy while TensorFlow, the compiled grouping and
ffmpeg's pipes release the GIL. Errors of a thread reach the caller where it would have met them.
"""
import contextlib
import queue
import threading

__all__ = ["Behind", "overlapped", "read_ahead"]

_DONE = object()


class _Failure:
    """An exception raised in a worker thread, carried to the thread that consumes its results."""

    def __init__(self, error):
        self.error = error


def read_ahead(items, depth: int = 4):
    """Yield the items of the iterable ``items`` while a thread already produces the next
    ``depth``; an exception of the iterable is raised here, after the items before it. With
    ``depth`` 0, iterate in the caller's thread. Closing the generator early stops the thread
    once it next hands over an item."""
    if depth <= 0:
        yield from items
        return
    handed = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand(item) -> bool:
        """Put ``item`` in the queue unless the consumer stops first; whether it went in."""
        while not stop.is_set():
            try:
                handed.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in items:
                if not hand(item):
                    return
            hand(_DONE)
        except BaseException as error:  # handed over to the consumer, raised there
            hand(_Failure(error))

    worker = threading.Thread(target=produce, name="read_ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = handed.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join()


class Behind:
    """Run ``work(item)`` on a thread for each item given to ``put``, in order, at most ``depth``
    waiting; an exception of ``work`` is raised by the next ``put`` or by ``close``, and the items
    after it are dropped. ``depth`` 0 runs ``work`` in the caller's thread."""

    def __init__(self, work, depth: int = 4):
        self.work = work
        self.failure = None
        self.worker = None
        if depth > 0:
            self.waiting = queue.Queue(maxsize=depth)
            self.worker = threading.Thread(target=self._run, name="behind", daemon=True)
            self.worker.start()

    def _run(self):
        while True:
            item = self.waiting.get()
            if item is _DONE:
                return
            if self.failure is None:
                try:
                    self.work(item)
                except BaseException as error:  # raised in the caller's thread by put / close
                    self.failure = error

    def _raise(self):
        if self.failure is not None:
            raise self.failure

    def put(self, item) -> None:
        """Queue ``item`` for ``work`` (run it at once when there is no thread)."""
        if self.worker is None:
            self.work(item)
            return
        self._raise()
        self.waiting.put(item)

    def close(self) -> None:
        """Wait until every queued item is done; raise the exception of ``work``, if any."""
        self.stop()
        self._raise()

    def stop(self) -> None:
        """Wait until the queued items are done (skipped after a failure) and end the thread,
        raising nothing: for the way out of an error."""
        if self.worker is not None and self.worker.is_alive():
            self.waiting.put(_DONE)
            self.worker.join()


@contextlib.contextmanager
def overlapped(items, work=None, depth: int = 4):
    """(read_ahead(items, depth), Behind(work, depth) or None without ``work``) for a with block.
    Leaving it normally waits for the work and raises its exception, if any; leaving it by an
    exception ends both threads without raising theirs. Either way the reading thread is done
    before the block's caller closes what ``items`` reads."""
    ahead = read_ahead(items, depth)
    behind = Behind(work, depth) if work is not None else None
    try:
        yield ahead, behind
        if behind is not None:
            behind.close()
    finally:
        ahead.close()
        if behind is not None:
            behind.stop()
